"""Navigation shown on every page; each entry appears only to roles that can use it."""

from django.urls import reverse

from core.scope import Action, scope_paths


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    items = [
        ("organizations:tree", "组织体系", "bi-diagram-3", None),
        ("organizations:post_list", "职务任职", "bi-person-badge", None),
        ("members:list", "党员管理", "bi-people-fill", None),
        ("members:pipeline", "发展党员", "bi-person-up", None),
        ("members:lost_contact", "失联排查", "bi-person-exclamation", None),
        ("meetings:list", "三会一课", "bi-calendar-check", None),
        ("core:import", "数据导入", "bi-upload", Action.MANAGE),
        ("accounts:list", "账号管理", "bi-people", Action.MANAGE_ACCOUNTS),
        ("core:audit", "审计日志", "bi-journal-text", Action.MANAGE_ACCOUNTS),
    ]
    path = request.path
    nav = []
    for name, label, icon, action in items:
        if action and not (user.is_superuser or scope_paths(user, action)):
            continue
        url = reverse(name)
        nav.append({"url": url, "label": label, "icon": icon, "active": False})
    # One entry is active: the longest URL the path starts with (/members/pipeline/ is 发展党员, not 党员管理).
    matches = [item for item in nav if path.startswith(item["url"])]
    if matches:
        max(matches, key=lambda item: len(item["url"]))["active"] = True
    return {"nav_items": nav}
