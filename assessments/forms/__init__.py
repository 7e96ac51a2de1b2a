"""Forms of the assessment pages, one module per capability. They only shape the input: every rule (ranges,
thresholds, 扣分说明, who may write) is the services', whose errors the views put back on these fields."""


def mark_invalid(form) -> None:
    """Give the inputs of fields with errors Bootstrap's red outline (errors may come from a service after
    validation, so this runs just before the page is drawn)."""
    if form is None or not form.is_bound:
        return
    for name in form.errors:
        if name in form.fields:
            widget = form.fields[name].widget
            css = widget.attrs.get("class", "")
            if "is-invalid" not in css:
                widget.attrs["class"] = f"{css} is-invalid".strip()
