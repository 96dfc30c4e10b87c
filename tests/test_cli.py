"""Every command of `flask --app app …`: a help text, and a clear usage error (exit status 2) for bad values.

The walk covers every command the console registers (app.cli and its groups), so the next command is covered
too: each parameter gets hostile values for its type, with good values (each type's `example`) for the rest.
Those are refused while click parses, before the command runs, so even the servers (scheduler, smtpd, sink)
are walked safely. Flask's own commands (run, shell, routes) and Flask-Migrate's `db` are not the console's.
"""
import click
import pytest
from sqlalchemy import func, select

from console import cli_types
from console.auth.models import Login
from console.extensions import db
from tests.conftest import berlin

HOSTILE_TEXT = ["nul\x00byte", "bell\x07", "\udcff invalid UTF-8"]
HOSTILE = {
    cli_types.Email: ["not-an-email", "a@b", "anna@@stimme.example"],
    cli_types.BerlinDateTime: ["morgen", "2026-12-08", "0001-01-01T00:00", "9999-12-31T23:59-05:00",
                               "2026-03-29T02:30", "2026-10-25T02:30", "2026-02-30T10:00"],
    cli_types.Month: ["2026-13", "2026-00", "2026-1", "0000-01", "99999-01", "Dezember"],
    cli_types.Id: ["abc", "0", "-1", "1.5", str(2**63), "9" * 30, "١٢"],
    cli_types.Port: ["0", "65536", "abc", "-1"],
    cli_types.Seconds: ["nan", "inf", "-1", "0", "abc", "1e308"],
}


def _commands(group: click.Group, path=()):
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if not (command.callback.__module__ or "").startswith("console."):
            continue  # Flask-Migrate's `db`
        yield path + (name,), command
        if isinstance(command, click.Group):
            yield from _commands(command, path + (name,))


def _leaves(app):
    return [(path, c) for path, c in _commands(app.cli) if not isinstance(c, click.Group)]


def _good_value(param: click.Parameter) -> str:
    if isinstance(param.type, click.Choice):
        return param.type.choices[0]
    return param.type.example


def _invocation(path, command: click.Command, bad: tuple[click.Parameter, str] | None = None) -> list[str]:
    """Good values for every required parameter (and a password, which would be asked for otherwise), and the
    bad one; arguments after "--", so that one starting with "-" reaches its type."""
    options, arguments = [], []
    for param in command.params:
        if bad and param is bad[0]:
            value = bad[1]
        elif param.name == "help" or getattr(param, "is_flag", False) or not (
                param.required or getattr(param, "prompt", None)):
            continue
        else:
            value = _good_value(param)
        if isinstance(param, click.Argument):
            arguments.append(value)
        else:
            options += [param.opts[0], value]
    return [*path, *options, "--", *arguments]


def _hostile_values(param: click.Parameter) -> list[str]:
    if isinstance(param.type, click.Choice):
        return ["nope"]
    values = []
    if isinstance(param.type, cli_types.Text):
        values += HOSTILE_TEXT + ["x" * (param.type.max_length + 1)]
    for kind, bad in HOSTILE.items():
        if isinstance(param.type, kind):
            values += bad
    return values


def _is_usage_error(result) -> bool:
    return result.exit_code == 2 and isinstance(result.exception, SystemExit) and "Traceback" not in result.output


def test_the_walk_finds_every_group(app):
    names = {path[0] for path, _ in _commands(app.cli)}
    assert {"accounts", "demo", "media", "directory", "maintenance", "jobs", "mail", "scheduler", "smtpd"} <= names


def test_every_command_group_option_and_argument_has_a_help_text(app):
    runner = app.test_cli_runner()
    for path, command in _commands(app.cli):
        assert (command.help or "").strip(), f"{' '.join(path)} has no help text"
        for param in command.params:
            if isinstance(param, click.Option) and param.name != "help":
                assert (param.help or "").strip(), f"{' '.join(path)} {param.opts[0]} has no help text"
            if isinstance(param, click.Argument):
                assert param.human_readable_name in command.help, \
                    f"the help of {' '.join(path)} does not explain {param.human_readable_name}"
        shown = runner.invoke(args=[*path, "--help"])
        assert shown.exit_code == 0 and command.help.split()[0] in shown.output


def test_every_parameter_is_checked_while_parsing(app):
    """Plain click STRING/INT/FLOAT would let NUL, 2^70 or NaN through to the command: each parameter has a
    type from console.cli_types, a Choice or is a flag."""
    for path, command in _leaves(app):
        for param in command.params:
            if param.name == "help" or getattr(param, "is_flag", False):
                continue
            assert isinstance(param.type, (cli_types.Text, cli_types.Id, cli_types.Seconds, click.Choice)), \
                f"{' '.join(path)} {param.human_readable_name} is a plain {param.type.name}"


def test_bad_values_are_usage_errors_everywhere(app):
    runner = app.test_cli_runner()
    walked = 0
    for path, command in _leaves(app):
        unknown = runner.invoke(args=[*path, "--no-such-option", *_invocation((), command)])
        assert _is_usage_error(unknown), (path, unknown.output)
        for param in command.params:
            for bad in _hostile_values(param):
                result = runner.invoke(args=_invocation(path, command, (param, bad)))
                assert _is_usage_error(result), (path, param.name, bad, result.exit_code, result.output)
                assert "Invalid value" in result.output
                walked += 1
    assert walked > 100


@pytest.mark.parametrize("args", [
    ["maintenance", "cancel", "999999"],
    ["maintenance", "schedule", "--start", "2026-12-08T22:00", "--end", "2026-12-09T01:00", "--title-de", "x",
     "--pbx", "nosuch.stimme.cloud"],
    ["directory", "lookup", "--pbx", "nosuch.stimme.cloud", "030123456"],
    ["directory", "ldap-url", "--pbx", "nosuch.stimme.cloud"],
    ["directory", "issue-token", "--pbx", "nosuch.stimme.cloud"],
    ["directory", "sync", "--customer", "Niemand GmbH"],
    ["mail", "retry", "999999"],
    ["jobs", "run-once", "nosuch"],
    ["accounts", "list-customers", "--reseller", "Niemand"],
])
def test_a_name_or_id_that_names_nothing_is_a_usage_error(app, args):
    result = app.test_cli_runner().invoke(args=args)
    assert _is_usage_error(result), result.output
    assert "There is no" in result.output or "is no customer" in result.output


def test_a_user_extension_that_names_nobody_is_a_usage_error(app, make_customer):
    pbx = make_customer().pbx
    result = app.test_cli_runner().invoke(args=["directory", "lookup", "--pbx", pbx.name, "--user", "999",
                                                "030123456"])
    assert _is_usage_error(result) and "has no user with extension 999" in result.output


def test_a_time_with_an_offset_is_that_instant_also_in_winter(app, make_customer, freeze):
    make_customer()
    freeze(berlin(2026, 11, 30, 10))
    runner = app.test_cli_runner()
    done = runner.invoke(args=["maintenance", "schedule", "--start", "2026-12-21T22:00+00:00", "--end",
                               "2026-12-22T01:00Z", "--title-de", "Kernel-Update"])
    assert done.exit_code == 0, done.output
    listing = runner.invoke(args=["maintenance", "list", "--json"]).output
    assert '"starts_at": "2026-12-21T22:00:00+00:00"' in listing and '"ends_at": "2026-12-22T01:00:00+00:00"' in listing


@pytest.mark.parametrize("start, says", [("2026-03-29T02:30", "does not exist on this day"),
                                         ("2026-10-25T02:30", "happens twice on this day"),
                                         ("morgen", "is not a date and time")])
def test_a_wall_clock_time_that_does_not_exist_or_exists_twice_is_still_refused(app, start, says):
    result = app.test_cli_runner().invoke(args=["maintenance", "schedule", "--start", start, "--end",
                                                "2026-12-09T01:00", "--title-de", "x"])
    assert _is_usage_error(result) and says in result.output


def test_create_staff_refuses_an_address_that_is_none(app):
    before = db.session.scalar(select(func.count(Login.id)))
    result = app.test_cli_runner().invoke(args=["accounts", "create-staff", "--email", "not-an-email", "--name",
                                                "Nobody", "--password", "a long enough password"])
    assert _is_usage_error(result) and "is not an e-mail address" in result.output
    assert db.session.scalar(select(func.count(Login.id))) == before


def test_peak_refuses_a_month_that_is_none(app):
    result = app.test_cli_runner().invoke(args=["accounts", "peak", "2026-13"])
    assert _is_usage_error(result) and "is not a month" in result.output
    assert app.test_cli_runner().invoke(args=["accounts", "peak", "2026-12"]).exit_code == 0
