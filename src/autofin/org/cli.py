"""``autofin user create|reset-password|unlock``: passwords are typed hidden or read from stdin, never arguments."""

from __future__ import annotations

import sys

import typer

from autofin.bootstrap import App
from autofin.kernel.actor import SYSTEM
from autofin.kernel.errors import DomainError
from autofin.org import service
from autofin.org.models import Department
from autofin.org.schemas import UserCreate

user_app = typer.Typer(help="Users (员工账户): create, reset a password, unlock.", no_args_is_help=True)

PASSWORD_STDIN = typer.Option(False, "--password-stdin", help="Read the password from the first line of stdin.")


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(typer.prompt("Password (密码)", hide_input=True, confirmation_prompt=True))


def _fail(error: DomainError) -> None:
    typer.echo(f"{error.code}: {error.message.en} / {error.message.zh}", err=True)
    for field_error in error.errors:
        typer.echo(f"  {field_error.field}: {field_error.message.en}", err=True)
    raise typer.Exit(1)


def _app() -> App:
    from autofin.cli import make_app

    return make_app()


@user_app.command("create")
def create(
    username: str = typer.Argument(..., help="Sign-in name, 3-32 of A-Z a-z 0-9 _ . -"),
    role: list[str] = typer.Option(["admin"], "--role", help="Role code (repeatable), e.g. admin, reviewer."),
    department: str = typer.Option("HQ", "--department", help="Department code (default: HQ 总部)."),
    display_name: str | None = typer.Option(None, "--name", help="Display name (default: the username)."),
    superuser: bool = typer.Option(False, "--superuser", help="Make the user a superuser (sees and may do all)."),
    password_stdin: bool = PASSWORD_STDIN,
) -> None:
    """Create a user with roles; the password is prompted (hidden) or read from stdin."""
    from sqlalchemy import select

    password = _read_password(password_stdin)
    autofin = _app()
    with autofin.uow() as uow:
        try:
            found = uow.session.execute(select(Department).where(Department.code == department)).scalar_one_or_none()
            if found is None:
                typer.echo(f"no department with code {department}", err=True)
                raise typer.Exit(1)
            try:
                command = UserCreate(
                    username=username, display_name=display_name or username, password=password,
                    department_id=found.id, role_codes=role,
                )
            except ValueError as exc:
                typer.echo(f"invalid input: {exc}", err=True)
                raise typer.Exit(1) from exc
            user = service.create_user(uow, SYSTEM, command)
            if superuser:
                user.is_superuser = True
            uow.commit()
        except DomainError as error:
            _fail(error)
            return
    typer.echo(f"created user {user.username} (id {user.id}) with roles {', '.join(user.role_codes)}")


@user_app.command("reset-password")
def reset_password(username: str, password_stdin: bool = PASSWORD_STDIN) -> None:
    """Set a new password (prompted hidden or read from stdin); unlocks the account and signs it out."""
    password = _read_password(password_stdin)
    autofin = _app()
    with autofin.uow() as uow:
        user = service.find_user(uow, username)
        if user is None:
            typer.echo(f"no user named {username}", err=True)
            raise typer.Exit(1)
        try:
            service.reset_password(uow, SYSTEM, user.id, password)
            uow.commit()
        except DomainError as error:
            _fail(error)
    typer.echo(f"password of {username} reset")


@user_app.command("unlock")
def unlock(username: str) -> None:
    """Lift the lockout of an account after too many failed sign-ins."""
    autofin = _app()
    with autofin.uow() as uow:
        user = service.find_user(uow, username)
        if user is None:
            typer.echo(f"no user named {username}", err=True)
            raise typer.Exit(1)
        service.unlock_user(uow, SYSTEM, user.id)
        uow.commit()
    typer.echo(f"{username} unlocked")


def register(root: typer.Typer) -> None:
    root.add_typer(user_app, name="user")
