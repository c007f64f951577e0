"""The console's page registry and the left menu built from it and from the permissions registry.

Each page is registered with the permission it needs and the menu group it belongs to (a group declared with
``kernel.permissions.declare_group``). :func:`build_menu` keeps only the pages an actor may view, grouped and
ordered like the permission groups — pure data, so the rule "you see exactly what you may open" is unit-tested.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from autofin.kernel.actor import Actor
from autofin.kernel.permissions import MenuGroup, all_groups


@dataclass(frozen=True)
class ConsolePage:
    """One console page: where it lives, what it is called, who may open it, where the menu shows it."""

    route: str
    title_key: str  # a key of console.i18n.MESSAGES
    permission: str | None = None  # None: every signed-in user
    group: str | None = None  # menu group code; None: not in the menu (reached by links)
    order: int = 100
    icon: str = "chevron_right"

    def visible_to(self, actor: Actor) -> bool:
        return self.permission is None or actor.can(self.permission)


@dataclass(frozen=True)
class MenuSection:
    group: MenuGroup
    pages: list[ConsolePage] = field(default_factory=list)


_PAGES: dict[str, ConsolePage] = {}


def register(page: ConsolePage) -> ConsolePage:
    """Add (or replace, when the same route is registered again) a page of the console."""
    _PAGES[page.route] = page
    return page


def registered_pages() -> list[ConsolePage]:
    return sorted(_PAGES.values(), key=lambda p: (p.order, p.route))


def page_for(route: str) -> ConsolePage | None:
    return _PAGES.get(route)


def build_menu(
    actor: Actor,
    pages: list[ConsolePage] | None = None,
    groups: list[MenuGroup] | None = None,
) -> list[MenuSection]:
    """The menu ``actor`` sees: sections in group order, each with the pages the actor may view.

    A page whose group is not declared still shows, under a section named after its group code, so a missing
    ``declare_group`` is visible rather than hiding a page. Empty sections are left out.
    """
    pages = registered_pages() if pages is None else sorted(pages, key=lambda p: (p.order, p.route))
    known = {g.code: g for g in (all_groups() if groups is None else groups)}
    sections: dict[str, MenuSection] = {}
    for page in pages:
        if page.group is None or not page.visible_to(actor):
            continue
        group = known.get(page.group) or MenuGroup(page.group, page.group, page.group, 10_000)
        sections.setdefault(page.group, MenuSection(group)).pages.append(page)
    return sorted(sections.values(), key=lambda s: (s.group.order, s.group.code))
