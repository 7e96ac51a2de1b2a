"""Navigation shown on every page; each entry appears only to roles that can use it.

The bar holds a handful of areas, each a link or a menu of pages, so it still fits a 1366-px office screen as the
product grows (a phone gets the collapsed menu)."""

from django.urls import reverse

from core.scope import Action, scope_paths

# (label, icon, [(url name, label, action needed or None)]): an area with one visible page is a plain link.
NAVIGATION = [
    (
        "工作台",
        "bi-speedometer2",
        [
            ("dashboards:leader", "党建工作总览", None),
            ("dashboards:desk", "工作台", Action.MANAGE),
            ("dashboards:secretary", "支部首页", Action.CHANGE),
            ("core:jobs", "导入导出中心", None),
        ],
    ),
    (
        "组织体系",
        "bi-diagram-3",
        [("organizations:tree", "组织体系", None), ("organizations:post_list", "职务任职", None)],
    ),
    (
        "党员管理",
        "bi-people-fill",
        [
            ("members:list", "党员管理", None),
            ("members:pipeline", "发展党员", None),
            ("members:lost_contact", "失联排查", None),
        ],
    ),
    ("三会一课", "bi-calendar-check", [("meetings:list", "三会一课", None)]),
    ("督查整改", "bi-clipboard2-check", [("supervision:finding_board", "督查整改", None)]),
    ("经费保障", "bi-cash-coin", [("funding:summary", "经费保障", None)]),
    ("考核评价", "bi-trophy", [("assessments:ranking", "考核评价", None)]),
    (
        "系统管理",
        "bi-gear",
        [
            ("core:import", "数据导入", Action.MANAGE),
            ("accounts:list", "账号管理", Action.MANAGE_ACCOUNTS),
            ("core:audit", "审计日志", Action.MANAGE_ACCOUNTS),
        ],
    ),
]


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    allowed = {}

    def may(action) -> bool:
        if action is None or user.is_superuser:
            return True
        if action not in allowed:
            allowed[action] = bool(scope_paths(user, action))
        return allowed[action]

    nav = []
    for label, icon, pages in NAVIGATION:
        children = [
            {"url": reverse(name), "label": page_label, "active": False}
            for name, page_label, action in pages
            if may(action)
        ]
        if children:
            nav.append({"label": label, "icon": icon, "url": children[0]["url"], "children": children, "active": False})
    # One page is active: the longest URL the path starts with (/members/pipeline/ is 发展党员, not 党员管理).
    matches = [(area, page) for area in nav for page in area["children"] if request.path.startswith(page["url"])]
    if matches:
        area, page = max(matches, key=lambda match: len(match[1]["url"]))
        area["active"] = page["active"] = True
    return {"nav_items": nav}
