"""Mistakes in a stack file or ``--config``: each is refused with one message naming the key, the
bad value (never a secret) and what is allowed, before any resource is declared.

Each ``corpus/stacks/<case>.yaml`` is a whole stack file, read as ``python -m org plan`` reads it
and then evaluated by the real program under mocks (config values as strings, as the CLI passes
them), so a refusal from either the offline plan or the program itself counts.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from groundwork.errors import ConfigError

from features.program import build
from org.plan.stackconfig import load_stack_config
from tests.conftest import ROOT

CORPUS = Path(__file__).parent / "corpus" / "stacks"

# case -> fragments the message must contain: where (file or key), the bad value, what is allowed.
EXPECTED: dict[str, tuple[str, ...]] = {
    "key-feature-misspelled": ("groundwork:pipe is not a known key", "did you mean 'pipes'?", "known keys: "),
    "key-feature-case": ("groundwork:Mail is not a known key", "did you mean 'mail'?", "eventBuses, fanouts"),
    "key-ttl-misspelled": ("groundwork:ttlHour is not a known key", "did you mean 'ttlHours'?"),
    "key-eventbus-singular": ("groundwork:eventBus is not a known key", "did you mean 'eventBuses'?"),
    "key-and-context-together": ("groundwork:pipe is not a known key", "groundwork:context = 'Orders'",
                                 "the features are checked once these keys are fixed"),
    "key-fanout-singular": ("groundwork:fanout is not a known key", "did you mean 'fanouts'?"),
    "key-bootstrap-typo": ("groundwork:boostrap is not a known key", "did you mean 'bootstrap'?"),
    "fanout-subscriber-twice": ("Pulumi.case.yaml", "(line 12)", "key 'billing' is given twice"),
    "unused-secret": ("groundwork:partnerClientSecret is not a known key", "known keys: "),
    "key-owner-twice": ("Pulumi.case.yaml", "(line 7)", "key 'groundwork:owner' is given twice"),
    "toplevel-misspelled": ("Pulumi.case.yaml", "'confg' is not a stack settings key", "did you mean 'config'?",
                            "known keys: config, environment"),
    "feature-not-object": ("groundwork:org = 'org'", "must be an object"),
    "tags-not-object": ("groundwork:tags = 'team-a'", "must be an object of tag key -> value"),
    "tags-too-many": ("groundwork:tags", "60 tags; at most 45", "AWS allows 50 tags per resource"),
    "tags-reserved": ("groundwork:tags", "'owner' is set by the platform"),
    "bool-yaml11": ("Pulumi.case.yaml", "(line 7)", "'yes' is a boolean in YAML 1.1", "write true or false"),
    "poc-with-ttl": ("groundwork:ttlHours = 8", "usage is 'POC'", "only an EPHEMERAL stack has a lease"),
    "poc-with-teardown": ("groundwork:teardown is set but usage is 'POC'", "silently lose its teardown"),
    "secret-plain-text": ("Pulumi.case.yaml", "groundwork:partnerClientSecret holds a credential in plain text",
                          "pulumi config set --secret partnerClientSecret"),
    "secret-inline-api-key": ("connection.apiKey (value not shown", "'value' must not be given in plain config",
                              "valueConfig: <key>"),
    "secret-inline-basic-password": ("connection.basic (value not shown", "'password' must not be given",
                                     "passwordConfig: <key>"),
    "secret-inline-client-secret": ("connection.oauth (value not shown", "'clientSecret' must not be given",
                                    "clientSecretConfig: <key>"),
    "limit-log-retention": ("groundwork:pipes.logging.retentionInDays = 45", "one of 1, 3, 5, 7, 14, 30, 60"),
    "limit-sqs-batch-without-window": ("groundwork:fanouts.orders.subscribers.billing.consumers[0]",
                                       "batchSize 500 needs maxBatchingWindowSeconds of at least 1"),
    "fanout-topic-name": ("groundwork:fanouts", "'Orders_X' is not a valid name", "1-30 lower-case letters"),
    "feature-emptied": ("groundwork:sso is empty", "write {} to use the feature with its defaults",
                        "remove the key to turn the feature off"),
    "teardown-not-object": ("groundwork:teardown = 's3://bucket'", "must be an object"),
    "config-not-mapping": ("Pulumi.case.yaml", "'config' must be a mapping of namespaced keys"),
    "teardown-secret-arn-shown": ("groundwork:teardown.passphraseSecretArn = 'not-an-arn'",
                                  "must be a Secrets Manager secret ARN"),
    "not-utf8": ("Pulumi.case.yaml", "is not UTF-8 text (byte 0xff", "save it as UTF-8"),
    "binary": ("Pulumi.case.yaml", "is a binary file"),
    "alias-bomb": ("Pulumi.case.yaml", "expands to more than 100000 values through aliases"),
}


def refusal(case_file: Path, tmp_path: Path, overrides: list[str] | None = None) -> str:
    """The message the offline plan or the program gives for this stack file (a refusal is required)."""
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    shutil.copy(case_file, tmp_path / "Pulumi.case.yaml")
    from org.plan.runtime import run_program

    with pytest.raises(ConfigError) as refused:
        config = load_stack_config("case", overrides, root=tmp_path)
        run_program(build, config=config.values, secret_keys=config.secret_keys, stack="case")
    message = str(refused.value)
    assert "Traceback" not in message
    return message


def test_corpus_and_table_match():
    assert {p.stem for p in CORPUS.glob("*.yaml")} == set(EXPECTED)


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_stack_file_mistake_is_refused_with_key_value_and_what_is_allowed(case: str, tmp_path: Path):
    message = refusal(CORPUS / f"{case}.yaml", tmp_path)
    for fragment in EXPECTED[case]:
        assert fragment in message, message
    assert "sk-live" not in message  # a value given for a secret is never repeated (CI logs)


def test_under_the_cli_a_plain_text_credential_is_refused_by_the_program(monkeypatch, tmp_path: Path):
    """The Pulumi CLI sets PULUMI_CONFIG_SECRET_KEYS (here: none); the program itself refuses."""
    from org.plan.runtime import run_program

    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    shutil.copy(CORPUS / "secret-plain-text.yaml", tmp_path / "Pulumi.case.yaml")
    values = {**load_stack_config("case", root=tmp_path, check_secrets=False).values}
    monkeypatch.setenv("PULUMI_CONFIG_SECRET_KEYS", "[]")
    with pytest.raises(ConfigError) as refused:
        run_program(build, config=values, stack="case")
    assert "groundwork:partnerClientSecret is stored in plain text" in str(refused.value)
    assert "sk-live" not in str(refused.value)


def test_alias_bomb_is_refused_quickly(tmp_path: Path):
    import time

    started = time.monotonic()
    refusal(CORPUS / "alias-bomb.yaml", tmp_path)
    assert time.monotonic() - started < 5


def test_aliases_and_merge_keys_in_stack_files_are_read_like_the_cli(tmp_path: Path):
    """Stack files may share values through anchors (the Pulumi CLI reads them); only their
    expansion is bounded."""
    (tmp_path / "Pulumi.yaml").write_text("name: groundwork\nruntime: python\n")
    (tmp_path / "Pulumi.x.yaml").write_text(
        "config:\n  groundwork:tags: &t {team: shop}\n  groundwork:org:\n    <<: {path: org}\n"
        "    closeOnDeletion: false\n  app:tags: *t\n")
    config = load_stack_config("x", root=tmp_path)
    assert config.values["groundwork:org"] == {"path": "org", "closeOnDeletion": False}
    assert config.values["app:tags"] == {"team": "shop"}


def test_missing_project_file_is_named(tmp_path: Path):
    (tmp_path / "Pulumi.x.yaml").write_text("config: {}\n")
    with pytest.raises(ConfigError, match=r"Pulumi.yaml: no such file; the project folder needs its Pulumi.yaml"):
        load_stack_config("x", root=tmp_path)


# --config overrides on a valid stack file -> fragments.
OVERRIDES: dict[str, tuple[list[str], tuple[str, ...]]] = {
    "override-unknown-key": (["groundwork:stagee=prod"], ("groundwork:stagee is not a known key",
                                                          "did you mean 'stage'?")),
    "override-empty-value": (["groundwork:stage="], ("--config 'groundwork:stage='", "the value is empty")),
    "override-malformed-object": (["groundwork:tags={a:"], ("--config 'groundwork:tags={a:'",
                                                             "not valid YAML", "write the object as JSON")),
    "override-no-equals": (["groundwork:stage"], ("--config 'groundwork:stage'", "expected key=value")),
    "override-path-unset": (["groundwork:eventBuses.buses.orders.archive.retentionDays=-1"],
                            ("groundwork:eventBuses is not set in the stack file", "give the whole object")),
    "override-path-missing": (["groundwork:org.nested.deeper=1"],
                              ("groundwork:org has no 'nested'", "give the whole object")),
    "override-path-bad-value": (["groundwork:org.closeOnDeletion=maybe"],
                                ("groundwork:org.closeOnDeletion = 'maybe'", "valid boolean")),
    "override-secret-malformed": (["groundwork:partnerClientSecret={sk-live-1:"],
                                  ("--config 'groundwork:partnerClientSecret=<value not shown>'", "not valid YAML")),
    "override-path-yaml11": (["groundwork:org.closeOnDeletion=yes"], ("'yes' is a boolean in YAML 1.1",)),
}


@pytest.mark.parametrize("case", sorted(OVERRIDES))
def test_override_mistake_is_refused(case: str, tmp_path: Path):
    overrides, fragments = OVERRIDES[case]
    stack = tmp_path / "base.yaml"
    stack.write_text((CORPUS / "feature-not-object.yaml").read_text().replace("groundwork:org: org",
                                                                               "groundwork:org: {path: org}"))
    message = refusal(stack, tmp_path, overrides)
    for fragment in fragments:
        assert fragment in message, message
    assert "sk-live" not in message


def test_a_path_override_changes_one_setting(tmp_path: Path):
    (tmp_path / "Pulumi.yaml").write_text("name: groundwork\nruntime: python\n")
    (tmp_path / "Pulumi.x.yaml").write_text("config:\n  groundwork:org: {path: org, closeOnDeletion: false}\n")
    config = load_stack_config("x", ["groundwork:org.closeOnDeletion=true"], root=tmp_path)
    assert config.values["groundwork:org"] == {"path": "org", "closeOnDeletion": True}


# --config overrides on an example stack of this repository -> fragments.
EXAMPLE_OVERRIDES: dict[str, tuple[str, list[str], tuple[str, ...]]] = {
    "deploy-role-every-branch": ("org", ["groundwork:bootstrap.github.branches=['*']"],
                                 ("groundwork:bootstrap.github.branches = ['*']", "would let every branch",
                                  "e.g. main or release/*")),
    "trace-in-production-camel-case": ("events-dev", ["groundwork:usage=PRODUCTION",
                                                      "groundwork:pipes.logging.level=TRACE"],
                                       ("logging.allowTraceInProduction is true",)),
    "nested-setting-misspelled": ("org", ["groundwork:org.closeOnDeleton=true"],
                                  ("groundwork:org.closeOnDeleton is not a known setting",
                                   "did you mean 'closeOnDeletion'?", "known settings: path, ")),
    "nested-setting-in-a-map": ("events-dev", ["groundwork:fanouts.orders.subscribers.billing.filtr=1"],
                                ("groundwork:fanouts.orders.subscribers.billing.filtr is not a known setting",
                                 "did you mean 'filter'?", "known settings: filter, samples, consumers")),
    "retention-by-path-override": ("events-dev", ["groundwork:pipes.logging.retentionInDays=45"],
                                   ("groundwork:pipes.logging.retentionInDays = 45", "one of 1, 3, 5")),
}


@pytest.mark.parametrize("case", sorted(EXAMPLE_OVERRIDES))
def test_override_of_an_example_stack_is_refused(case: str, tmp_path: Path):
    stack, overrides, fragments = EXAMPLE_OVERRIDES[case]
    message = refusal(ROOT / f"Pulumi.{stack}.yaml", tmp_path, overrides)
    for fragment in fragments:
        assert fragment in message, message
    assert "allow_trace_in_production" not in message


@pytest.mark.parametrize("word", ["yes", "on", "no", "off", "True"])
def test_under_the_cli_a_yaml11_boolean_word_is_refused_by_the_program(run, word: str):
    """The CLI's YAML 1.2 parser passes ``notify: yes`` as the text 'yes'; pydantic would quietly
    read it as a boolean (strict models refuse it; every message says to write true or false)."""
    config = load_stack_config("events-dev").values
    config["groundwork:pipes"]["alarms"]["notify"] = word
    config["groundwork:org"] = {"path": "org", "closeOnDeletion": word}
    with pytest.raises(ConfigError) as refused:
        run(build, config=config)
    message = str(refused.value)
    assert f"groundwork:pipes.alarms.notify = {word!r}: write true or false" in message
    assert f"groundwork:org.closeOnDeletion = {word!r}: Input should be a valid boolean: write true or false" \
        in message
