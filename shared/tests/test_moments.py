"""Every moment the read models give back carries its offset, on SQLite (`make run`) as on PostgreSQL."""

from datetime import datetime, timedelta, timezone

from sqlalchemy import Column, Integer, MetaData, Table, insert, select
from sqlalchemy.ext.asyncio import create_async_engine

from complaints.adapters.readmodel import Moment


async def test_a_moment_written_with_any_offset_is_read_back_as_the_same_moment_with_an_offset(tmp_path):
    table = Table("moments", MetaData(), Column("id", Integer, primary_key=True), Column("at", Moment()))
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'm.db'}")
    brussels = datetime(2026, 3, 2, 10, 30, tzinfo=timezone(timedelta(hours=1)))
    async with engine.begin() as conn:
        await conn.run_sync(table.metadata.create_all)
        await conn.execute(insert(table).values(id=1, at=brussels))
        read = (await conn.execute(select(table.c.at))).scalar_one()
    await engine.dispose()
    assert read == brussels and read.utcoffset() == timedelta(0)
