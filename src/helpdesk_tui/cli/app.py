"""The app itself: in the terminal, served to a browser (`serve`), and its demo data."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from ..launch import bootstrap
from ..service import HelpdeskService
from ..settings.config import ConfigError, Settings
from .errors import CliError
from .parser import Parser, path_arg

if TYPE_CHECKING:
    from ..ui.web_sign_in import SignIn


def add_parsers(sub: argparse._SubParsersAction[Parser]) -> None:
    serve = sub.add_parser("serve", help="serve the app to a web browser (textual-serve)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (loopback)")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on (default: 8000)")
    serve.add_argument(
        "--allow-remote",
        action="store_true",
        help="listen on a non-loopback address (needs --tls-cert and --tls-key)",
    )
    serve.add_argument("--tls-cert", type=path_arg, help="the server's certificate (PEM)")
    serve.add_argument("--tls-key", type=path_arg, help="the certificate's private key (PEM)")

    demo = sub.add_parser("demo", help="fill the store with realistic demo tickets")
    demo.add_argument(
        "--tickets", type=int, default=300, help="how many tickets to make (default: 300)"
    )
    demo.add_argument(
        "--seed", type=int, default=7, help="the same seed makes the same tickets (default: 7)"
    )


def run_app(settings: Settings) -> int:
    from ..launch import startup

    views = bootstrap.views(settings)
    # Fork the store's helper first, then import the UI: they load side by side.
    pending = startup.begin(settings, views)
    from ..ui.app import run_app

    return run_app(settings, views, pending)


def serve(args: argparse.Namespace, settings: Settings) -> int:
    from ..ui.serve import ServeError, check, serve, tls_context

    sign_in = _web_sign_in(settings) if args.allow_remote else None
    try:
        tls = tls_context(args.tls_cert, args.tls_key)
        check(args.host, args.port, args.allow_remote, tls, sign_in)
    except ServeError as exc:
        raise CliError(str(exc)) from None
    # Open the store once here: a wrong agent or an unreachable store is one line now,
    # not an error page in every browser tab; and the first run's demo data is made once.
    service = bootstrap.build_service(settings)
    try:
        bootstrap.fill_first_run(service, settings)
    finally:
        service.close()
    try:
        return serve(args.host, args.port, args.config, args.agent, args.allow_remote, tls, sign_in)
    except ServeError as exc:
        raise CliError(str(exc)) from None


def _web_sign_in(settings: Settings) -> SignIn | None:
    """How a browser signs in to this store: its own logins (PostgreSQL) or tokens (RT);
    None for a local file, which has none."""
    from ..settings.config import TOKEN_ENV
    from ..settings.secrets import DB_LOGIN_ENV, DB_PASSWORD_ENV
    from ..store.base import StoreError
    from ..ui.web_sign_in import SignIn, SignInRefused

    def verify(login: str, secret: str) -> str:
        try:
            return bootstrap.sign_in(settings, login, secret)
        except (ConfigError, StoreError) as exc:
            raise SignInRefused(str(exc)) from None

    if settings.backend_kind == "rt":
        return SignIn("rt", verify, environment=lambda _login, token: {TOKEN_ENV: token})
    if settings.database_url.startswith("postgresql"):
        return SignIn(
            "database",
            verify,
            environment=lambda login, password: {DB_LOGIN_ENV: login, DB_PASSWORD_ENV: password},
        )
    return None


def demo(args: argparse.Namespace, service: HelpdeskService) -> int:
    if args.tickets < 1 or args.tickets > 100_000:
        raise CliError("--tickets must be between 1 and 100000")
    if not service.is_empty():
        raise CliError("the store already has tickets; demo data goes into an empty store")
    made = service.generate_demo(args.tickets, args.seed)
    print(f"created {made} demo tickets")
    return 0
