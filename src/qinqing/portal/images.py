"""Uploaded pictures, resized on upload (Pillow) into a few widths and served with long caching."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from PIL import Image as PILImage
from PIL import UnidentifiedImageError

from qinqing.audit.services import record_create
from qinqing.core import uploads
from qinqing.core.limits import limited
from qinqing.core.permissions import require
from qinqing.portal.models import Image

WIDTHS = (320, 640, 1280)
MAX_UPLOAD = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000


def folder() -> Path:
    path = Path(settings.MEDIA_ROOT) / "portal" / "img"
    path.mkdir(parents=True, exist_ok=True)
    return path


@transaction.atomic
def add_image(user: Any, file: UploadedFile, *, alt: str = "") -> Image:
    require(user, "portal.edit")
    alt = limited(alt, "alt", "图片说明", 200)  # before any resized copy is written to the folder
    uploads.check_upload(file, allowed=uploads.IMAGES, max_bytes=MAX_UPLOAD, field="image")
    try:
        with PILImage.open(file) as probe:
            probe.verify()
        file.seek(0)
        with PILImage.open(file) as img:
            if img.format not in ("JPEG", "PNG", "WEBP"):
                raise ValidationError({"image": "图片只能是 JPG、PNG 或 WEBP"})
            if img.width * img.height > MAX_PIXELS:
                raise ValidationError({"image": "图片尺寸过大"})
            rgb = img.convert("RGB")
            stem = secrets.token_hex(12)
            sizes: dict[str, str] = {}
            for width in WIDTHS:
                if width > rgb.width and sizes:
                    break
                copy = rgb.copy()
                copy.thumbnail((width, width * 4))
                name = f"{stem}_{width}.jpg"
                copy.save(folder() / name, "JPEG", quality=80, optimize=True, progressive=True)
                sizes[str(width)] = name
            row = Image.objects.create(
                original=stem,
                sizes=sizes,
                width=rgb.width,
                height=rgb.height,
                alt=alt,
                uploaded_by=user,
            )
    except (UnidentifiedImageError, OSError):
        raise ValidationError({"image": "无法识别的图片文件"}) from None
    record_create(user, row)
    return row


def open_size(name: str) -> IO[bytes] | None:
    if "/" in name or "\\" in name or not name.endswith(".jpg"):
        return None
    path = folder() / name
    if not path.is_file():
        return None
    return path.open("rb")
