"""Hold music and announcements per PBX (§4.1 Wartemusik, Zentrale): items, their uploaded versions, and the
per-PBX secret that protects the URLs the PBX fetches them from.

Files live under the MEDIA_DIR setting; the rows keep paths relative to it, so the directory can move.
"""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, UniqueConstraint, event, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from console.db import enum_column
from console import clock
from console.accounts.models import Pbx
from console.audit.recorder import Audited
from console.auth.scope import TokenPrincipal, pbx_ids_of
from console.auth.tokens import UrlSecret
from console.extensions import db

__all__ = ["MediaItem", "MediaKind", "MediaTarget", "MediaVersion", "PbxMediaToken", "VersionState"]

#: The slug under which a PBX fetches its hold music; without an own active one it gets the standard music.
HOLD_MUSIC_SLUG = "moh"




class MediaKind(enum.Enum):
    HOLD_MUSIC = "hold_music"
    ANNOUNCEMENT = "announcement"   # "Ansage vor dem Melden", played before the operator or a group answers


class MediaTarget(enum.Enum):
    OPERATOR = "operator"   # extension 0 ("Zentrale")
    GROUP = "group"


class VersionState(enum.Enum):
    PENDING = "pending"         # original stored, waiting for the conversion job
    CONVERTING = "converting"
    READY = "ready"
    FAILED = "failed"


class MediaItem(Audited, db.Model):
    """One piece of hold music or one announcement of a PBX; ``pbx_id`` None is the standard hold music."""
    __tablename__ = "media_item"
    id: Mapped[int] = mapped_column(primary_key=True)
    pbx_id: Mapped[int | None] = mapped_column(ForeignKey("pbx.id"), index=True)
    kind: Mapped[MediaKind] = mapped_column(enum_column(MediaKind))
    target: Mapped[MediaTarget | None] = mapped_column(enum_column(MediaTarget))   # announcements only
    group_name: Mapped[str | None] = mapped_column(String(100))               # target GROUP only
    name: Mapped[str] = mapped_column(String(100))
    slug: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)

    pbx: Mapped[Pbx | None] = relationship()
    versions: Mapped[list["MediaVersion"]] = relationship(back_populates="item",
                                                          order_by="MediaVersion.number.desc()")

    __table_args__ = (UniqueConstraint("pbx_id", "slug"),)
    # The standard hold music (no PBX) is visible to everyone who may see media at all.
    __tenant_scope__ = staticmethod(
        lambda login, customers: MediaItem.pbx_id.is_(None) | MediaItem.pbx_id.in_(pbx_ids_of(customers)))

    @property
    def is_standard(self) -> bool:
        return self.pbx_id is None

    @property
    def active_version(self) -> "MediaVersion | None":
        return next((v for v in self.versions if v.active), None)

    def __str__(self) -> str:
        return self.name


class MediaVersion(Audited, db.Model):
    """One upload of an item: the original as uploaded, and once converted the three files the PBX plays."""
    __tablename__ = "media_version"
    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("media_item.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)   # 1, 2, … per item
    state: Mapped[VersionState] = mapped_column(enum_column(VersionState), default=VersionState.PENDING)
    active: Mapped[bool] = mapped_column(Boolean, default=False)
    original_name: Mapped[str] = mapped_column(String(255))    # the uploader's file name, shown only
    original_format: Mapped[str] = mapped_column(String(4))    # "mp3" / "wav", from the content
    original_path: Mapped[str] = mapped_column(String(300))
    original_bytes: Mapped[int] = mapped_column(Integer)
    source_rate: Mapped[int | None] = mapped_column(Integer)
    source_channels: Mapped[int | None] = mapped_column(Integer)
    duration_seconds: Mapped[float | None] = mapped_column(Float)
    normalize: Mapped[bool] = mapped_column(Boolean, default=True)   # even out the loudness when converting
    gain_db: Mapped[float | None] = mapped_column(Float)              # what that changed
    g711a_path: Mapped[str | None] = mapped_column(String(300))
    g711a_bytes: Mapped[int | None] = mapped_column(Integer)
    g711u_path: Mapped[str | None] = mapped_column(String(300))
    g711u_bytes: Mapped[int | None] = mapped_column(Integer)
    wav_path: Mapped[str | None] = mapped_column(String(300))
    wav_bytes: Mapped[int | None] = mapped_column(Integer)
    digest: Mapped[str | None] = mapped_column(String(64))          # sha256 of the WAV: part of the ETag
    failure_reason: Mapped[str | None] = mapped_column(String(20))  # an audio.REASONS code, or "error"
    failure_code: Mapped[str | None] = mapped_column(String(40))    # its message (console.media.rejections)
    failure_params: Mapped[dict | None] = mapped_column(JSON)       # the numbers and names the message shows
    uploaded_by: Mapped[str] = mapped_column(String(300))
    uploaded_at: Mapped[datetime] = mapped_column(default=clock.now)
    converted_at: Mapped[datetime | None] = mapped_column()
    claimed_at: Mapped[datetime | None] = mapped_column()           # the conversion job took it (CONVERTING)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")   # conversions begun
    activated_at: Mapped[datetime | None] = mapped_column()         # last activation: Last-Modified

    item: Mapped[MediaItem] = relationship(back_populates="versions")

    __table_args__ = (
        UniqueConstraint("item_id", "number"),
        # Exactly one active version per item, guarded by the database too.
        Index("uq_media_version_one_active", "item_id", unique=True,
              sqlite_where=text("active"), postgresql_where=text("active")),
    )
    __tenant_scope__ = staticmethod(lambda login, customers: MediaVersion.item_id.in_(
        select(MediaItem.id).where(MediaItem.pbx_id.is_(None) | MediaItem.pbx_id.in_(pbx_ids_of(customers)))))

    @property
    def failure_message(self) -> str:
        """Why the conversion refused it, in the reader's language."""
        from console.media.rejections import describe
        return describe(self.failure_code, self.failure_params)

    def path_for(self, coder: str) -> str | None:
        return {"g711a": self.g711a_path, "g711u": self.g711u_path, "wav": self.wav_path}[coder]

    def __str__(self) -> str:
        return f"{self.item.name if self.item else '?'} v{self.number}"


class PbxMediaToken(UrlSecret, Audited, db.Model):
    """The secret in the URLs a PBX fetches its media from, one per PBX, made with the PBX. Only its selector is
    stored; the secret is derived from it (console.auth.tokens). Renewing locks the old URLs out."""
    __tablename__ = "pbx_media_token"
    SECRET_PURPOSE = "pbx-media"
    pbx_id: Mapped[int] = mapped_column(ForeignKey("pbx.id"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)

    pbx: Mapped[Pbx] = relationship()

    __tenant_scope__ = staticmethod(lambda login, customers: PbxMediaToken.pbx_id.in_(pbx_ids_of(customers)))

    def principal(self) -> TokenPrincipal:
        return TokenPrincipal(self, pbx_id=self.pbx_id)

    def __str__(self) -> str:
        return f"media token of PBX {self.pbx_id}"


@event.listens_for(Session, "before_flush")
def _every_new_pbx_gets_its_media_address(session, _flush_context, _instances) -> None:
    """A PBX has its one stable hold-music address from the start, however it is created (form, CLI, demo
    data): the address is never made on a page view. PBXs from before this were given theirs by the migration."""
    for obj in list(session.new):
        if isinstance(obj, Pbx) and obj.id is None:
            session.add(PbxMediaToken(pbx=obj, created_at=clock.now()))
