"""``matcher keys …`` and ``matcher audit``: API keys for the HTTP service and who read whose record.

A key is printed once, by ``keys create``, on the last line alone (so
``matcher keys create … | tail -1`` captures it); the store keeps only its
hash. ``keys list`` never prints a key or a hash. Every command refuses a
database that is not at the current schema and says to run ``matcher migrate``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any

import typer
from sqlalchemy.engine import Engine

from service.errors import guarded

__all__ = ["keys_app", "create", "list_", "revoke", "audit"]

keys_app = typer.Typer(
    help="服务密钥：创建、列出、吊销 / API keys of the HTTP service: create, list, revoke.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class Role(StrEnum):
    admin = "admin"
    organizer = "organizer"
    caseworker = "caseworker"
    readonly = "readonly"


def _command(name: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    def register(fn: Callable[..., None]) -> Callable[..., None]:
        keys_app.command(name)(guarded(fn))
        return fn

    return register


def _engine() -> Engine:
    from store import check_schema, get_engine

    engine = get_engine()
    check_schema(engine)
    return engine


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value is not None else "-"


@_command("create")
def create(
    role: Annotated[
        Role, typer.Option("--role", help="admin | organizer | caseworker | readonly", case_sensitive=False)
    ],
    county: Annotated[
        str | None, typer.Option("--county", help="6 位县级代码（admin 可不填）/ 6-digit county code")
    ] = None,
    town: Annotated[str | None, typer.Option("--town", help="9 或 12 位乡镇代码 / town code within the county")] = None,
    pii: Annotated[
        bool, typer.Option("--pii", help="可查看完整姓名、身份证号、电话 / may see personal data unmasked")
    ] = False,
    label: Annotated[str | None, typer.Option("--label", help="持有人说明 / who holds the key")] = None,
    expires_days: Annotated[
        int | None, typer.Option("--expires-days", min=1, help="有效天数 / days until the key expires")
    ] = None,
) -> None:
    """Create a key and print it once (last line: the key alone) / 创建密钥（只显示一次）."""
    from store.keys import create_key
    from store.upsert import utcnow

    expires_at = utcnow() + timedelta(days=expires_days) if expires_days is not None else None
    record, text = create_key(
        _engine(),
        role=role.value,
        county_code=county,
        town_code=town,
        pii=pii,
        label=label,
        expires_at=expires_at,
    )
    scope = record.county_code or "全部县 / every county"
    if record.town_code:
        scope += f" / {record.town_code}"
    typer.echo(f"key_id: {record.key_id}  role: {record.role}  scope: {scope}  pii: {'yes' if record.pii else 'no'}")
    typer.echo(f"expires / 到期: {_when(record.expires_at)} (UTC)")
    typer.echo("密钥只显示这一次，请妥善保存 / the key is shown only this once; store it safely:")
    typer.echo(text)


_COLUMNS = ("key_id", "role", "county", "town", "pii", "created", "expires", "revoked", "last used")


@_command("list")
def list_() -> None:
    """List keys without their secrets (times in UTC) / 列出密钥（不显示密钥本身）."""
    from store.keys import list_keys

    keys = list_keys(_engine())
    if not keys:
        typer.echo("尚无密钥 / no keys yet; create one with `matcher keys create`")
        return
    rows: list[tuple[str, ...]] = [_COLUMNS]
    for k in keys:
        rows.append(
            (
                k.key_id,
                k.role,
                k.county_code or "*",
                k.town_code or "-",
                "yes" if k.pii else "no",
                _when(k.created_at),
                _when(k.expires_at),
                _when(k.revoked_at),
                _when(k.last_used_at),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(_COLUMNS))]
    for row in rows:
        typer.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
        if row is rows[0]:
            typer.echo("  ".join("-" * w for w in widths))
    labelled = [k for k in keys if k.label]
    for k in labelled:
        typer.echo(f"{k.key_id}: {k.label}")


@_command("revoke")
def revoke(key_id: Annotated[str, typer.Argument(help="要吊销的 key_id / the key_id to revoke")]) -> None:
    """Revoke a key at once / 立即吊销密钥."""
    from store.keys import revoke_key

    if not revoke_key(_engine(), key_id):
        typer.echo(
            f"错误：没有可吊销的密钥 {key_id}（不存在或已吊销），见 `matcher keys list`\n"
            f"error: no active key {key_id!r} to revoke (unknown or already revoked); see `matcher keys list`",
            err=True,
        )
        raise typer.Exit(2)
    typer.echo(f"已吊销 / revoked: {key_id}")


def _audit_line(row: dict[str, Any]) -> str:
    cells = (
        _when(row["at"]),
        row["key_id"] or "-",
        row["role"] or "-",
        row["county_code"] or "-",
        row["action"],
        row["laborer_id"] or row["vacancy_id"] or "-",
        str(row["status"]) if row["status"] is not None else "-",
        row["route"] or "-",
        row["client"] or "-",
        row["detail"] or "",
    )
    return "  ".join(cells).rstrip()


def audit(
    laborer: Annotated[str | None, typer.Option("--laborer", help="劳动力编号 / laborer_id")] = None,
    key: Annotated[str | None, typer.Option("--key", help="密钥编号 / key_id")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=10_000, help="最多几条 / most rows")] = 200,
) -> None:
    """Who read or changed a person's record, newest first (UTC) / 查询个人信息访问记录."""
    from store.audit import query_audit

    rows = query_audit(_engine(), laborer_id=laborer, key_id=key, limit=limit)
    if not rows:
        typer.echo("没有访问记录 / no audit entries")
        return
    typer.echo("at (UTC)  key_id  role  county  action  record  status  route  client  detail")
    for row in rows:
        typer.echo(_audit_line(row))
