"""The left menu shows exactly the pages the actor may open, grouped and ordered like the permission groups."""

from __future__ import annotations

from autofin.console.menu import ConsolePage, MenuSection, build_menu
from autofin.kernel.actor import Actor
from autofin.kernel.permissions import MenuGroup

GROUPS = [MenuGroup("org", "组织架构", "Organisation", 10), MenuGroup("system", "系统管理", "System", 90)]
PAGES = [
    ConsolePage("/org/users", "org.users", "org.user.view", "org", order=30),
    ConsolePage("/org/departments", "org.departments", "org.department.view", "org", order=10),
    ConsolePage("/org/roles", "org.roles", "org.role.view", "org", order=40),
    ConsolePage("/audit/events", "audit.events", "audit.event.view", "system", order=10),
    ConsolePage("/platform/inbox", "platform.inbox", None, None),  # no permission, not in the menu
    ConsolePage("/platform/jobs", "platform.jobs", "platform.job.view", "system", order=40),
]


def actor(*permissions: str, superuser: bool = False) -> Actor:
    return Actor(user_id=7, username="someone", permissions=frozenset(permissions), is_superuser=superuser)


def routes(sections: list[MenuSection]) -> list[str]:
    return [page.route for section in sections for page in section.pages]


def test_an_actor_with_one_permission_sees_exactly_the_pages_that_need_it() -> None:
    menu = build_menu(actor("audit.event.view"), PAGES, GROUPS)
    assert routes(menu) == ["/audit/events"]
    assert [section.group.code for section in menu] == ["system"]


def test_each_permission_shows_only_its_own_pages() -> None:
    for page in PAGES:
        if page.permission is None:
            continue
        assert routes(build_menu(actor(page.permission), PAGES, GROUPS)) == [page.route]


def test_an_actor_without_permissions_sees_no_menu_sections() -> None:
    assert build_menu(actor(), PAGES, GROUPS) == []


def test_a_superuser_sees_every_menu_page_grouped_in_group_order_and_page_order() -> None:
    menu = build_menu(actor(superuser=True), PAGES, GROUPS)
    assert [section.group.code for section in menu] == ["org", "system"]
    assert routes(menu) == ["/org/departments", "/org/users", "/org/roles", "/audit/events", "/platform/jobs"]


def test_pages_outside_the_menu_are_never_listed() -> None:
    assert "/platform/inbox" not in routes(build_menu(actor(superuser=True), PAGES, GROUPS))


def test_a_page_of_an_undeclared_group_still_shows_under_its_group_code_at_the_end() -> None:
    pages = [*PAGES, ConsolePage("/x/report", "x.report", "x.report.view", "reports")]
    menu = build_menu(actor("x.report.view", "org.user.view"), pages, GROUPS)
    assert [section.group.code for section in menu] == ["org", "reports"]


def test_the_registered_console_pages_each_name_a_declared_permission() -> None:
    """Every page of the real console is registered with a permission the registry knows (or none)."""
    from autofin.console.app import register_all_pages
    from autofin.console.menu import registered_pages
    from autofin.domains import load_domains
    from autofin.kernel.permissions import get_permission

    load_domains()
    register_all_pages()
    pages = registered_pages()
    assert {"/", "/org/users", "/org/roles", "/audit/events", "/platform/jobs"} <= {p.route for p in pages}
    unknown = [p.route for p in pages if p.permission is not None and get_permission(p.permission) is None]
    assert not unknown


def test_the_totp_enrolment_shows_a_scannable_qr_code_of_the_provisioning_uri():
    from autofin.console.pages import qr_svg

    svg = qr_svg("otpauth://totp/autofin:li.lei?secret=JBSWY3DPEHPK3PXP&issuer=autofin")
    assert svg.startswith("<svg") and "path" in svg
