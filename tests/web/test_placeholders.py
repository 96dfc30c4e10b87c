"""Placeholders such as <token> in help texts are shown as text, not swallowed by the browser as an HTML tag."""
import pytest

from console.auth.models import Role


@pytest.mark.parametrize("language", ["de", "en"])
def test_the_bearer_token_placeholder_shows_on_every_token_page(make_login, make_customer, signed_in, language):
    customer = make_customer()
    staff = signed_in(make_login(Role.STAFF_ADMIN, language=language))
    staff.post("/language", {"language": language})
    for path in ("/incidents/api-tokens", "/billing/", f"/pbx/{customer.pbx.id}/directory/settings"):
        page = staff.get(path).get_data(as_text=True)
        assert "Authorization: Bearer &lt;token&gt;" in page, path
        assert "<token>" not in page, path
