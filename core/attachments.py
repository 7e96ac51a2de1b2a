"""Uploaded files (meeting photos, task evidence, rectification evidence): one mechanism for every app.

A file's type is decided by its first bytes, never by its name; the stored name is ours (a random token plus the
checked extension) and the user's name is kept beside it; files are served only through a scoped view, with the type
found by content and `nosniff`. Rows roll back with their transaction, files are not transactional: `store_uploads`
removes what it wrote when anything fails, and is the last step of each service that calls it.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Iterable
from typing import NamedTuple
from urllib.parse import quote

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import models
from django.http import FileResponse, Http404
from django.utils import timezone

from .audit import audit_log

MAX_BYTES = getattr(settings, "ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)

# Accepted files, recognized by their first bytes (a renamed file is refused whatever its name says).
TYPES = (
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
    (b"%PDF-", "application/pdf", ".pdf"),
)


def sniff(head: bytes) -> tuple[str, str] | None:
    """(content type, extension) of an accepted file from its first bytes, None for anything else."""
    for magic, content_type, extension in TYPES:
        if head.startswith(magic):
            return content_type, extension
    return None


def stored_file_path(instance: StoredFile, filename: str) -> str:
    return f"{instance.storage_folder}/{timezone.localdate():%Y/%m}/{instance.token}{instance.extension}"


class StoredFile(models.Model):
    """What every attachment row keeps. Subclasses add the owner (a foreign key) and `storage_folder`."""

    storage_folder = "files"

    file = models.FileField("文件", upload_to=stored_file_path, max_length=200)
    token = models.CharField("存储标识", max_length=32, unique=True)
    extension = models.CharField("扩展名", max_length=8)
    name = models.CharField("文件名", max_length=200)
    content_type = models.CharField("文件类型", max_length=50)
    size = models.PositiveIntegerField("大小（字节）")
    sha256 = models.CharField("SHA-256", max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="上传人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    uploaded_at = models.DateTimeField("上传时间", default=timezone.now)

    class Meta:
        abstract = True
        ordering = ["uploaded_at", "id"]

    def __str__(self):
        return self.name


class CheckedUpload(NamedTuple):
    name: str
    content: bytes
    content_type: str
    extension: str


def check_uploads(files: Iterable, *, already: int, limit: int, max_bytes: int | None = None):
    """Read and check uploads: (checked files, problems). `already` files are stored; at most `limit` in all."""
    max_bytes = MAX_BYTES if max_bytes is None else max_bytes
    megabytes = max(max_bytes // (1024 * 1024), 1)
    problems: list[str] = []
    checked: list[CheckedUpload] = []
    files = [f for f in files if f]
    if already + len(files) > limit:
        problems.append(f"最多 {limit} 个附件（已有 {already} 个）。")
    for upload in files:
        name = (getattr(upload, "name", "") or "附件")[:200]
        size = getattr(upload, "size", None)
        if size is not None and size > max_bytes:
            problems.append(f"“{name}”大小超过 {megabytes} MB。")
            continue
        content = upload.read(max_bytes + 1)
        if len(content) > max_bytes:
            problems.append(f"“{name}”大小超过 {megabytes} MB。")
            continue
        if not content:
            problems.append(f"“{name}”是空文件。")
            continue
        sniffed = sniff(content[:16])
        if sniffed is None:
            problems.append(f"“{name}”不是 JPG、PNG 图片或 PDF 文件（按文件内容判断）。")
            continue
        checked.append(CheckedUpload(name, content, *sniffed))
    return checked, problems


def store_uploads(
    actor, checked: Iterable[CheckedUpload], *, make: Callable[..., StoredFile], org_path: str, owner: dict
) -> list[StoredFile]:
    """Save checked files as rows made by `make(**fields)` (the model with its owner set), one audit row each with
    `owner` (e.g. {"meeting": 12}) in it. Files written before a failure are removed again."""
    stored: list[StoredFile] = []
    try:
        for upload in checked:
            row = make(
                token=secrets.token_hex(16),
                extension=upload.extension,
                name=upload.name or f"附件{upload.extension}",
                content_type=upload.content_type,
                size=len(upload.content),
                sha256=hashlib.sha256(upload.content).hexdigest(),
                uploaded_by=actor if getattr(actor, "pk", None) else None,
            )
            row.file.save(row.token + row.extension, ContentFile(upload.content), save=False)
            stored.append(row)
            row.save()
            audit_log(
                actor=actor,
                action="create",
                obj=row,
                org_path=org_path,
                after={**owner, "name": row.name, "size": row.size},
            )
    except Exception:
        for row in stored:
            row.file.storage.delete(row.file.name)
        raise
    return stored


def delete_stored(actor, row: StoredFile, *, org_path: str, owner: dict) -> None:
    """Delete an attachment row (audited); its file goes once the transaction commits."""
    from django.db import transaction

    name, storage = row.file.name, row.file.storage
    audit_log(
        actor=actor, action="delete", obj=row, org_path=org_path, before={**owner, "name": row.name, "size": row.size}
    )
    row.delete()
    transaction.on_commit(lambda: storage.delete(name))


def file_response(row: StoredFile | None, *, download: bool = False) -> FileResponse:
    """Serve a stored file found through a scoped queryset (None answers 404, like a missing one)."""
    from .exceptions import NotInScope

    if row is None:
        raise NotInScope()
    try:
        fh = row.file.open("rb")
    except FileNotFoundError:
        raise Http404("附件文件已丢失，请联系管理员。") from None
    response = FileResponse(fh, content_type=row.content_type)
    disposition = "attachment" if download else "inline"
    response["Content-Disposition"] = f"{disposition}; filename*=UTF-8''{quote(row.name)}"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; object-src 'self'"
    return response
