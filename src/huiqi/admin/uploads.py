"""Storing uploaded materials so they can neither escape their folder nor run.

- The stored name is random (128 bits) plus an extension from the allow-list; the user's file name is
  kept only as a label and never touches the file system.
- The type is decided by the file's first bytes (PDF, PNG, JPEG, and XLSX as a ZIP), and must agree
  with the extension given; anything else is refused.
- At most MAX_BYTES per file; the SHA-256 is stored and checked again on every download.
- Files are written with mode 0600 (never executable) under HUIQI_UPLOADS (default $HUIQI_HOME/uploads),
  and the resolved path is checked to be inside that folder before any read or write.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path, PurePath

from huiqi import config
from huiqi.admin.errors import Conflict, Invalid, NotFound

MAX_BYTES = 10 * 1024 * 1024
TYPES = {  # extension: (content type, leading bytes)
    ".pdf": ("application/pdf", b"%PDF-"),
    ".png": ("image/png", b"\x89PNG\r\n\x1a\n"),
    ".jpg": ("image/jpeg", b"\xff\xd8\xff"),
    ".jpeg": ("image/jpeg", b"\xff\xd8\xff"),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", b"PK\x03\x04"),
}


@dataclass(frozen=True)
class Stored:
    stored_name: str
    content_type: str
    size: int
    sha256: str


def root() -> Path:
    folder = Path(os.environ.get("HUIQI_UPLOADS") or config.home() / "uploads").resolve()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


def check(original_name: str, data: bytes) -> tuple[str, str]:
    """(extension, content type) of an acceptable file, else Invalid naming the field `file`."""
    extension = PurePath(original_name or "").suffix.lower()
    if extension not in TYPES:
        raise Invalid("file", f"不支持的文件类型“{extension or '无扩展名'}”，只接受 PDF、PNG、JPG、XLSX")
    if not data:
        raise Invalid("file", "文件为空")
    if len(data) > MAX_BYTES:
        raise Invalid("file", f"文件超过 {MAX_BYTES // (1024 * 1024)} MB 上限")
    content_type, magic = TYPES[extension]
    if not data.startswith(magic):
        raise Invalid("file", f"文件内容与扩展名“{extension}”不符")
    return extension, content_type


def save(original_name: str, data: bytes) -> Stored:
    extension, content_type = check(original_name, data)
    stored_name = secrets.token_hex(16) + extension
    path = _inside(stored_name)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
    return Stored(stored_name, content_type, len(data), hashlib.sha256(data).hexdigest())


def load(stored_name: str, sha256: str) -> bytes:
    path = _inside(stored_name)
    if not path.is_file():
        raise NotFound("材料文件不存在")
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != sha256:
        raise Conflict("材料文件校验失败（SHA-256 不一致），请联系管理员")
    return data


def _inside(stored_name: str) -> Path:
    """The path of a stored name, refusing anything that would resolve outside the uploads folder."""
    folder = root()
    path = (folder / stored_name).resolve()
    if path.parent != folder:
        raise Invalid("file", "非法的存储文件名")
    return path
