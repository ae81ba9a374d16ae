"""A whole Salesforce ETM territory model <-> a terraplan hierarchy, owners, named accounts, rules.

Files (Data Loader CSV, Salesforce field names):

* ``Territory2Model.csv``: Id, DeveloperName, Name, State;
* ``Territory2Type.csv``: Id, DeveloperName, MasterLabel, Priority;
* ``Territory2.csv``: Id, DeveloperName, Name, Territory2ModelId, Territory2TypeId,
  ParentTerritory2Id, AccountAccessLevel, OpportunityAccessLevel, CaseAccessLevel;
* ``UserTerritory2Association.csv``: UserId, Territory2Id, RoleInTerritory2, IsActive;
* ``ObjectTerritory2Association.csv``: ObjectId, Territory2Id, AssociationCause;
* the three assignment-rule files of :mod:`terraplan.rules.etm`.

On import, references may hold Salesforce Ids (an org's export) or DeveloperNames (our own
export, whose records have no Id yet). Territory ids in the plan are the DeveloperNames.

The pieces: :mod:`~terraplan.rules.etm_model_files` (file names, load order, CSV text),
:mod:`~terraplan.rules.etm_model_import` (:func:`read_etm_model`) and
:mod:`~terraplan.rules.etm_model_export` (:func:`write_etm_model`).
"""

from __future__ import annotations

from terraplan.rules.etm_model_export import (
    EtmModelExport,
    unique_developer_names,
    write_etm_model,
)
from terraplan.rules.etm_model_files import (
    FILTER_FILE,
    MODEL_FILE,
    MODEL_FILES,
    OBJECT_FILE,
    REQUIRED_FILES,
    TERRITORY_FILE,
    TYPE_FILE,
    USER_FILE,
)
from terraplan.rules.etm_model_import import EtmModel, read_etm_model

__all__ = [
    "FILTER_FILE",
    "MODEL_FILE",
    "MODEL_FILES",
    "OBJECT_FILE",
    "REQUIRED_FILES",
    "TERRITORY_FILE",
    "TYPE_FILE",
    "USER_FILE",
    "EtmModel",
    "EtmModelExport",
    "read_etm_model",
    "unique_developer_names",
    "write_etm_model",
]
