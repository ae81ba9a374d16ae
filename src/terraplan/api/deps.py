"""Dependency aliases used by the routes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request

from terraplan.config import Settings
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork


async def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_database(request: Request) -> Database:
    db: Database = request.app.state.database
    return db


def get_uow(db: Annotated[Database, Depends(get_database)]) -> Iterator[UnitOfWork]:
    with UnitOfWork(db) as uow:
        yield uow


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
DatabaseDep = Annotated[Database, Depends(get_database)]
UowDep = Annotated[UnitOfWork, Depends(get_uow)]
