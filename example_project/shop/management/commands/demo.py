"""``manage.py demo``: migrate, seed, print a token and curl commands, serve.

It also makes the shop owner's admin login (``owner``, staff with the
``convertedin_feed.view_feeds_page`` permission only), its password kept in
``demo-owner-password`` beside the token, and prints the feeds page's address.

From the repository root: ``python example_project/manage.py demo``.

The token: ``CONVERTEDIN_FEED_TOKEN`` when set; else the one a demo generated
before, kept in ``settings.DEMO_TOKEN_FILE`` (beside the SQLite database, ignored by
git), which the settings serve to every later command; else a new one, kept there.
"""

import os
import secrets

from django.conf import settings
from django.contrib.auth.models import Permission, User
from django.core.management import call_command
from django.core.management.base import BaseCommand

from convertedin_feed.conf import TOKEN_ENVIRONMENT_VARIABLE
from convertedin_feed.tools.database import reachable_database
from shop.management.commands.seed_demo import DATABASE_HINT
from shop.models import Category, Client

#: The shop owner's admin user, who may see the Converted.in feeds page and nothing else.
OWNER = "owner"


class Command(BaseCommand):
    help = "Migrate, seed the example shop when empty, print a token and curl commands, serve."
    # runserver runs the checks itself, once the token is in place.
    requires_system_checks = ()

    def add_arguments(self, parser):
        parser.add_argument("--addrport", default="127.0.0.1:8000", help="where to serve")
        parser.add_argument("--customers", type=int, default=500, help="clients to seed")
        parser.add_argument("--orders", type=int, default=2000, help="purchases to seed")
        parser.add_argument("--products", type=int, default=300, help="products to seed")
        parser.add_argument("--categories", type=int, default=40, help="categories to seed")

    def handle(self, *args, **options):
        with reachable_database(hint=DATABASE_HINT):
            self.demo(**options)

    def demo(self, *, addrport, customers, orders, products, categories, **options):
        verbosity = options["verbosity"]
        call_command("migrate", interactive=False, verbosity=verbosity)
        if Client.objects.exists():
            self.stdout.write("The shop has data already: not seeding.")
        else:
            call_command(
                "seed_demo",
                customers=customers,
                orders=orders,
                products=products,
                categories=categories,
                verbosity=verbosity,
            )

        token = self.token()
        password = self.owner()

        base = f"http://{_browsable_host(addrport)}/convertedin"
        # A root category: its products include those of its subcategories.
        shelf = Category.objects.filter(parent__isnull=True).order_by("pk").first()
        self.stdout.write(
            "\n"
            f"Token: {token}\n\n"
            "Store info (not paged):\n"
            f"  curl -X POST {base}/storeinfo -F token={token}\n\n"
            "Categories, page 1 (root categories, each with its subcategories):\n"
            f"  curl -X POST {base}/categories -F token={token} -F page=1 -F per_page=5\n\n"
            "Products, page 1:\n"
            f"  curl -X POST {base}/products -F token={token} -F page=1 -F per_page=5\n\n"
        )
        if shelf is not None:
            self.stdout.write(
                f"Products of the category {shelf.name!r} and its subcategories, page 1:\n"
                f"  curl -X POST {base}/products -F token={token} -F page=1 -F per_page=5"
                f" -F collection_id={shelf.pk}\n\n"
            )
        self.stdout.write(
            "Customers, page 1 (the customers document spells per_page as par_page):\n"
            f"  curl -X POST {base}/customers -F token={token} -F page=1 -F par_page=5\n\n"
            "Orders, page 1:\n"
            f"  curl -X POST {base}/orders -F token={token} -F page=1 -F per_page=5\n\n"
            "The Converted.in feeds page of the admin (requests counted, crawls, errors):\n"
            f"  http://{_browsable_host(addrport)}/admin/convertedin_feed/feedhour/\n"
            f"  user {OWNER}, password {password}\n"
        )
        call_command("runserver", addrport, use_reloader=False, skip_checks=False)

    def owner(self):
        """The owner's admin password: the kept one, else a new one (the user made anew)."""
        path = settings.DEMO_TOKEN_FILE.with_name("demo-owner-password")
        try:
            password = path.read_text().strip()
        except OSError:
            password = ""
        user = User.objects.filter(username=OWNER).first()
        if not password or user is None or not user.check_password(password):
            password = secrets.token_urlsafe(12)
            path.write_text(password + "\n")
            path.chmod(0o600)
            user = user or User(username=OWNER)
            user.is_staff = True
            user.set_password(password)
            user.save()
            user.user_permissions.add(
                Permission.objects.get(
                    content_type__app_label="convertedin_feed", codename="view_feeds_page"
                )
            )
        return password

    def token(self):
        """The environment's token, else the demo's kept one, else a new one, kept."""
        token = os.environ.get(TOKEN_ENVIRONMENT_VARIABLE, "").split(",")[0].strip()
        if token:
            return token
        path = settings.DEMO_TOKEN_FILE
        try:
            token = path.read_text().strip()
        except OSError:
            token = ""
        if token:
            self.stdout.write(f"The demo's token, kept in {path}.")
        else:
            token = secrets.token_urlsafe(32)
            path.write_text(token + "\n")
            path.chmod(0o600)
            self.stdout.write(
                f"Generated a token and kept it in {path}: later demos and every manage.py "
                f"command use it. Set {TOKEN_ENVIRONMENT_VARIABLE} to use your own instead."
            )
        # The app reads the variable on every request: this process serves with it.
        os.environ[TOKEN_ENVIRONMENT_VARIABLE] = token
        return token


def _browsable_host(addrport):
    """host:port for a client on this machine, from runserver's ``[addr:]port``."""
    host, _, port = addrport.rpartition(":")
    host = host.strip("[]")
    if host in ("", "0", "0.0.0.0", "::"):  # noqa: S104 (a name to replace, not a bind)
        host = "127.0.0.1"
    elif ":" in host:
        host = f"[{host}]"
    return f"{host}:{port}"
