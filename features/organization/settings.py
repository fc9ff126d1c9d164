"""``groundwork:org`` — where the org data lives and how the organization is applied."""

from __future__ import annotations

from pathlib import Path

from groundwork.context import NAMESPACE
from groundwork.errors import ConfigError
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr

from features.settings import parse_settings

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# Organizations throttles concurrent CreateAccount requests; more than a few in flight fail part-way.
MAX_BATCH_SIZE = 5


class OrgSettings(BaseModel):
    """Validated ``groundwork:org`` settings of the management stack."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    path: StrictStr = Field(default="org", description="the org data folder, relative to the project")
    account_creation_batch_size: StrictInt = Field(default=1, ge=1, le=MAX_BATCH_SIZE,
                                                   alias="accountCreationBatchSize")
    close_on_deletion: StrictBool = Field(default=False, alias="closeOnDeletion")
    share_account_ids: StrictBool = Field(default=False, alias="shareAccountIds")
    # false: no /{stage}/{context}/<account>/account/id parameters (an adoption's first run creates nothing)
    publish_account_ids: StrictBool = Field(default=True, alias="publishAccountIds")

    @property
    def root(self) -> Path:
        """The org folder; a relative path is taken from the project root, not the working directory."""
        path = Path(self.path)
        return path if path.is_absolute() else PROJECT_ROOT / path

    @classmethod
    def from_config(cls, raw: object) -> OrgSettings:
        if not isinstance(raw, dict):
            raise ConfigError(
                f"Invalid stack config:\n{NAMESPACE}:org = {raw!r}: must be an object, e.g. "
                "{path: org, accountCreationBatchSize: 1, closeOnDeletion: false, shareAccountIds: false}"
            )
        return parse_settings(cls, raw, f"{NAMESPACE}:org")
