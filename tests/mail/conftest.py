import jinja2
import pytest

from console.extensions import db
from tests.mail.servers import ControllableSMTP


@pytest.fixture
def smtp_server():
    server = ControllableSMTP()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def outbox_to(smtp_server, configure):
    configure(smtp_url=smtp_server.url)
    return smtp_server


def rows(model):
    return list(db.session.scalars(db.select(model).order_by(model.id)))


NOTICE_TEMPLATES = {
    "email/test_notice.subject.txt": "{{ _('Notice') }}: {{ subject }}",
    "email/test_notice.txt": "{{ subject }}\n\n{{ body }}\n{% include 'email/_footer.txt' %}",
    "email/test_notice.html": "{% extends 'email/_layout.html' %}{% block body %}<h1>{{ subject }}</h1>"
                              "<p>{{ body }}</p>{% endblock %}",
}


@pytest.fixture(autouse=True)
def notice_template(app, monkeypatch):
    """A feature-like template "test_notice" (subject, body) next to the real ones."""
    loader = jinja2.ChoiceLoader([jinja2.DictLoader(NOTICE_TEMPLATES), app.jinja_env.loader])
    monkeypatch.setattr(app.jinja_env, "loader", loader)
