"""The DAG's shape, as a test (issue 24, item 4).

dbt-project-evaluator's modelling rules (docs/rules/modeling.md of dbt-labs/
dbt-project-evaluator; `models/marts/dag/fct_*.sql` implement them), ported as small
functions over the manifest of a `dbt parse`: the package hub is unreachable from these
machines, and a manifest is all the rules read. Each rule returns its violations; the test
of the real project asserts there are none beyond the allow-list below, each entry with its
reason, and each rule has a test over a tiny synthetic graph that shows it can fail.

Ported, with the evaluator's thresholds (its `vars`):
- model fan-out: a model with `models_fanout_threshold` (3) or more direct children that are
  leaves (models with no model children). The doc says "more than 3", its query counts
  `>= 3` and its example flags three leaf children: we follow the query.
- rejoining of upstream concepts: parent -> middle -> child and parent -> child, where the
  middle model has no other child.
- chained views: a model at the end of a chain of more than `chained_views_threshold` (4)
  views or ephemeral models.
- direct join to source (a model reading a source and a model), marts or intermediate
  reading a source, staging reading staging, staging reading intermediate or marts, source
  fan-out (a source read by more than one model), multiple sources joined (a model reading
  more than one source), root models (no parent; `metricflow_time_spine` is exempt, as in
  the evaluator), unused sources, duplicate sources (two source nodes for one relation),
  too many joins (`too_many_joins_threshold`, 7, or more direct parents) and hard-coded
  references (a `schema.table` after `from` or `join` instead of a ref or source).

Not ported: the evaluator's documentation, testing, structure, governance and the other
performance rules (other items of the issue, or already covered by tests/models/test_docs.py
and sqlfluff).

The graph is the evaluator's: models, seeds, snapshots, sources and exposures; tests,
unit tests, analyses and MetricFlow's semantic models are not nodes of it (a model read
only by MetricFlow is a leaf). Layers come from the folder under `models/`.
"""

from __future__ import annotations

import itertools
import json
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from dds_api.current_marts import build as dbt_build

# ---------------------------------------------------------------------------- bookkeeping

# The refresh machinery's scope and state models. Every campaign-scoped model reads the
# scope model (its `dds_in_refresh_scope()` filter), and the state model reads every
# refreshed model and every raw source through `-- depends_on:` lines, so that it is built
# last: edges of bookkeeping, not of the data's meaning. They, and every edge to or from
# them, are left out of the graph. The refresh engineer updates this one set (or the folder
# or tag below) when those models move.
BOOKKEEPING_MODELS = frozenset({"refresh_scope", "refresh_state"})
BOOKKEEPING_FOLDER = "models/refresh/"
BOOKKEEPING_TAG = "refresh_bookkeeping"

# ------------------------------------------------------------------------------ thresholds

MODELS_FANOUT_THRESHOLD = 3
CHAINED_VIEWS_THRESHOLD = 4
TOO_MANY_JOINS_THRESHOLD = 7

# ------------------------------------------------------------------------------ allow-list

# (rule, subject) -> why the project keeps it. Each entry must still be found (a stale
# entry fails the test), so the list never outlives its reason.
ALLOWED: dict[tuple[str, str], str] = {
    # Ingest's own bookkeeping tables, declared as sources for their data tests (the
    # quarantine's relationship to its load, the batch summary's sum) and their column
    # docs (tests/models/test_docs.py); no model reads them, analysts and `dds ingest` do.
    ("unused_sources", "dds.ingest_batches"): "ingest bookkeeping, tests and docs",
    ("unused_sources", "dds.quarantine"): "ingest bookkeeping, tests and docs",
    # The campaign dimension (one row per deployed campaign: its name, configuration and
    # lifecycle state), as jaffle-shop's `customers`: every campaign-grain output joins it
    # for what it is keyed on. Its leaf children are four different readers (repricing for
    # analysts, the daily series, the optimizer's answer, NovaOS memory's metrics), not one
    # transformation repeated: the project's design.
    ("model_fanout", "campaigns"): "the campaign dimension every campaign-grain mart joins",
    # campaigns takes the deployment's configuration from the events and the lifecycle state
    # from int_campaign_events_aggregated_to_campaigns, which only campaigns reads. The
    # evaluator's remedy is to fold that model into campaigns as CTEs; it is a refreshed
    # table with its own tests of the lifecycle seed, so folding it changes the refresh plan
    # and moves those tests: left for the owner of the campaign models (reported, issue 24.4).
    ("rejoining_of_upstream_concepts", "campaigns"): "lifecycle roll-up kept apart, for now",
}

# ------------------------------------------------------------------------------- the graph

DAG_RESOURCE_TYPES = ("model", "seed", "snapshot", "source", "exposure")
VIEW_MATERIALIZATIONS = ("view", "ephemeral")


@dataclass(frozen=True)
class Resource:
    unique_id: str
    name: str
    resource_type: str
    layer: str  # staging, intermediate, marts, or other (seeds, sources, ...)
    materialized: str | None = None
    raw_code: str = ""


@dataclass
class Dag:
    resources: dict[str, Resource]
    parents: dict[str, set[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.children: dict[str, set[str]] = {uid: set() for uid in self.resources}
        for child, parents in self.parents.items():
            for parent in parents:
                self.children[parent].add(child)

    def parents_of(self, unique_id: str) -> set[str]:
        return self.parents.get(unique_id, set())

    def name(self, unique_id: str) -> str:
        return self.resources[unique_id].name

    def names(self, unique_ids: set[str]) -> str:
        return ", ".join(sorted(self.name(uid) for uid in unique_ids))

    def of_type(self, resource_type: str) -> list[Resource]:
        return sorted(
            (r for r in self.resources.values() if r.resource_type == resource_type),
            key=lambda r: r.unique_id,
        )


def is_bookkeeping(node: dict[str, Any]) -> bool:
    return (
        node.get("name") in BOOKKEEPING_MODELS
        or (node.get("original_file_path") or "").startswith(BOOKKEEPING_FOLDER)
        or BOOKKEEPING_TAG in (node.get("tags") or [])
    )


def _layer(node: dict[str, Any]) -> str:
    if node.get("resource_type") != "model":
        return "other"
    parts = Path(node.get("original_file_path") or "").parts
    return parts[1] if len(parts) > 2 and parts[0] == "models" else "other"


def _name(node: dict[str, Any]) -> str:
    # a source by `source_name.table`, as `source()` names it
    if node["resource_type"] == "source":
        return f"{node['source_name']}.{node['name']}"
    return node["name"]


def dag_from_manifest(manifest: dict[str, Any]) -> Dag:
    """The evaluator's graph from a manifest, without the bookkeeping models and their edges."""
    resources: dict[str, Resource] = {}
    for table in ("nodes", "sources", "exposures"):
        for unique_id, node in manifest.get(table, {}).items():
            if node["resource_type"] not in DAG_RESOURCE_TYPES or is_bookkeeping(node):
                continue
            resources[unique_id] = Resource(
                unique_id,
                _name(node),
                node["resource_type"],
                _layer(node),
                (node.get("config") or {}).get("materialized"),
                node.get("raw_code") or "",
            )
    parents = {
        unique_id: {p for p in manifest["parent_map"].get(unique_id, []) if p in resources}
        for unique_id in resources
    }
    return Dag(resources, parents)


# ------------------------------------------------------------------------------ the rules


@dataclass(frozen=True, order=True)
class Violation:
    rule: str
    subject: str  # the model or source the finding is about (the allow-list's key)
    detail: str

    def __str__(self) -> str:
        return f"{self.rule}: {self.subject}: {self.detail}"


Rule = Callable[[Dag], list[Violation]]


def _models(dag: Dag) -> list[Resource]:
    return dag.of_type("model")


def model_fanout(dag: Dag, threshold: int = MODELS_FANOUT_THRESHOLD) -> list[Violation]:
    """fct_model_fanout: a model with `threshold` or more direct children that are leaf models
    ("narrow the DAG, widen the tables": a shared transformation belongs upstream)."""
    leaves = {r.unique_id for r in _models(dag) if not dag.children[r.unique_id]}
    found = []
    for model in _models(dag):
        leaf_children = dag.children[model.unique_id] & leaves
        if len(leaf_children) >= threshold:
            found.append(
                Violation(
                    "model_fanout",
                    model.name,
                    f"{len(leaf_children)} direct leaf children (threshold {threshold}): "
                    f"{dag.names(leaf_children)}",
                )
            )
    return found


def rejoining_of_upstream_concepts(dag: Dag) -> list[Violation]:
    """fct_rejoining_of_upstream_concepts: parent -> middle -> child and parent -> child,
    where the middle model has no other child: fold it into the child as a CTE."""
    found = []
    for parent, children in dag.children.items():
        if dag.resources[parent].resource_type == "exposure":
            continue
        for middle in children:
            middle_children = dag.children[middle]
            if len(middle_children) != 1:
                continue
            (child,) = middle_children
            if child in children and dag.resources[child].resource_type != "exposure":
                found.append(
                    Violation(
                        "rejoining_of_upstream_concepts",
                        dag.name(child),
                        f"reads {dag.name(parent)} and {dag.name(middle)}, whose only child it "
                        f"is and which reads {dag.name(parent)} too",
                    )
                )
    return found


def chained_views(dag: Dag, threshold: int = CHAINED_VIEWS_THRESHOLD) -> list[Violation]:
    """fct_chained_views_dependencies: a model at the end of a chain of more than `threshold`
    views (or ephemeral models): every query re-plans the whole chain."""
    depth: dict[str, int] = {}

    def views_up_to(unique_id: str) -> int:  # the longest chain of views ending here
        if unique_id not in depth:
            resource = dag.resources[unique_id]
            if resource.materialized not in VIEW_MATERIALIZATIONS:
                depth[unique_id] = 0
            else:
                depth[unique_id] = 1 + max(
                    (views_up_to(p) for p in dag.parents_of(unique_id)), default=0
                )
        return depth[unique_id]

    found = []
    for model in _models(dag):
        distance = max((views_up_to(p) for p in dag.parents_of(model.unique_id)), default=0)
        if distance > threshold:
            found.append(
                Violation(
                    "chained_views",
                    model.name,
                    f"at the end of a chain of {distance} views (threshold {threshold})",
                )
            )
    return found


def direct_join_to_source(dag: Dag) -> list[Violation]:
    """fct_direct_join_to_source: a model reading both a source and a model."""
    found = []
    for model in _models(dag):
        kinds = {dag.resources[p].resource_type for p in dag.parents_of(model.unique_id)}
        if "source" in kinds and "model" in kinds:
            found.append(
                Violation(
                    "direct_join_to_source",
                    model.name,
                    f"reads sources and models: {dag.names(dag.parents_of(model.unique_id))}",
                )
            )
    return found


def _parents_in(dag: Dag, model: Resource, kind: str, layers: tuple[str, ...] = ()) -> set[str]:
    return {
        p
        for p in dag.parents_of(model.unique_id)
        if dag.resources[p].resource_type == kind
        and (not layers or dag.resources[p].layer in layers)
    }


def marts_or_intermediate_dependent_on_source(dag: Dag) -> list[Violation]:
    """fct_marts_or_intermediate_dependent_on_source: only staging reads a source."""
    return [
        Violation(
            "marts_or_intermediate_dependent_on_source",
            model.name,
            f"{model.layer} model reading {dag.names(sources)}",
        )
        for model in _models(dag)
        if model.layer in ("intermediate", "marts")
        and (sources := _parents_in(dag, model, "source"))
    ]


def staging_dependent_on_staging(dag: Dag) -> list[Violation]:
    """fct_staging_dependent_on_staging: staging is one view per raw table."""
    return [
        Violation("staging_dependent_on_staging", model.name, f"reads {dag.names(staged)}")
        for model in _models(dag)
        if model.layer == "staging" and (staged := _parents_in(dag, model, "model", ("staging",)))
    ]


def staging_dependent_on_downstream_models(dag: Dag) -> list[Violation]:
    """fct_staging_dependent_on_marts_or_intermediate."""
    return [
        Violation("staging_dependent_on_downstream_models", model.name, f"reads {dag.names(later)}")
        for model in _models(dag)
        if model.layer == "staging"
        and (later := _parents_in(dag, model, "model", ("intermediate", "marts")))
    ]


def source_fanout(dag: Dag) -> list[Violation]:
    """fct_source_fanout: a source read by more than one model (its staging model only)."""
    found = []
    for source in dag.of_type("source"):
        readers = {
            c for c in dag.children[source.unique_id] if dag.resources[c].resource_type == "model"
        }
        if len(readers) > 1:
            found.append(Violation("source_fanout", source.name, f"read by {dag.names(readers)}"))
    return found


def multiple_sources_joined(dag: Dag) -> list[Violation]:
    """fct_multiple_sources_joined: a model reading more than one source."""
    return [
        Violation("multiple_sources_joined", model.name, f"reads {dag.names(sources)}")
        for model in _models(dag)
        if len(sources := _parents_in(dag, model, "source")) > 1
    ]


def root_models(dag: Dag) -> list[Violation]:
    """fct_root_models: a model with no parent reads something dbt cannot see (the
    evaluator exempts MetricFlow's time spine, a date spine by design)."""
    return [
        Violation("root_models", model.name, "has no parent: no ref or source")
        for model in _models(dag)
        if not dag.parents_of(model.unique_id) and model.name != "metricflow_time_spine"
    ]


def unused_sources(dag: Dag) -> list[Violation]:
    """fct_unused_sources: a declared source no model reads."""
    return [
        Violation("unused_sources", source.name, "no model reads it")
        for source in dag.of_type("source")
        if not dag.children[source.unique_id]
    ]


def duplicate_sources(dag: Dag, manifest_sources: dict[str, Any] | None = None) -> list[Violation]:
    """fct_duplicate_sources: two source nodes naming one relation split its lineage."""
    relations: dict[str, set[str]] = {}
    for unique_id, node in (manifest_sources or {}).items():
        relation = ".".join(
            str(node.get(part) or "").lower() for part in ("database", "schema", "identifier")
        )
        relations.setdefault(relation, set()).add(unique_id)
    return [
        Violation(
            "duplicate_sources",
            relation,
            f"declared {len(ids)} times: {', '.join(sorted(i.split('.', 2)[2] for i in ids))}",
        )
        for relation, ids in sorted(relations.items())
        if len(ids) > 1
    ]


def too_many_joins(dag: Dag, threshold: int = TOO_MANY_JOINS_THRESHOLD) -> list[Violation]:
    """fct_too_many_joins: a model with `threshold` or more direct parents does too much."""
    return [
        Violation(
            "too_many_joins",
            model.name,
            f"{len(dag.parents_of(model.unique_id))} direct parents (threshold {threshold})",
        )
        for model in _models(dag)
        if len(dag.parents_of(model.unique_id)) >= threshold
    ]


_JINJA = re.compile(r"\{#.*?#\}|\{%.*?%\}|\{\{.*?\}\}", re.DOTALL)
_SQL_COMMENTS = re.compile(r"--[^\n]*|/\*.*?\*/", re.DOTALL)
_QUALIFIED_AFTER_FROM = re.compile(
    r"\b(?:from|join)\s+((?:\"?[a-z_][\w$]*\"?\s*\.\s*){1,2}\"?[a-z_][\w$]*\"?)(?!\s*\()",
    re.IGNORECASE,
)


def hard_coded_references(dag: Dag) -> list[Violation]:
    """fct_hard_coded_references: a `schema.table` (or `db.schema.table`) after from or join,
    outside Jinja and comments, where a ref or source belongs (the evaluator's regexes,
    narrowed to what DuckDB SQL can spell; a table function such as `range(...)` is not one)."""
    found = []
    for model in _models(dag):
        code = _SQL_COMMENTS.sub(" ", _JINJA.sub(" ", model.raw_code))
        references = sorted({re.sub(r"\s", "", m) for m in _QUALIFIED_AFTER_FROM.findall(code)})
        if references:
            found.append(
                Violation("hard_coded_references", model.name, f"reads {', '.join(references)}")
            )
    return found


GRAPH_RULES: tuple[Rule, ...] = (
    model_fanout,
    rejoining_of_upstream_concepts,
    chained_views,
    direct_join_to_source,
    marts_or_intermediate_dependent_on_source,
    staging_dependent_on_staging,
    staging_dependent_on_downstream_models,
    source_fanout,
    multiple_sources_joined,
    root_models,
    unused_sources,
    too_many_joins,
    hard_coded_references,
)


def violations(manifest: dict[str, Any]) -> list[Violation]:
    """Every rule's findings on a manifest, bookkeeping excluded, sorted."""
    dag = dag_from_manifest(manifest)
    found = [v for rule in GRAPH_RULES for v in rule(dag)]
    found += duplicate_sources(dag, manifest.get("sources", {}))
    return sorted(found)


# ------------------------------------------------------------------------ the real project


@pytest.fixture(scope="module")
def manifest() -> Iterator[dict[str, Any]]:
    """A fresh `dbt parse` of the project into a target folder of its own (no connection
    is opened, nothing is built), seeded with the project's partial parse when there is one."""
    with tempfile.TemporaryDirectory(prefix="dds-dag-shape-") as folder:
        parsed = dbt_build.target_dir() / "partial_parse.msgpack"
        if parsed.is_file():
            shutil.copy(parsed, folder)
        dbt_build.run_dbt(
            ("parse", "--target-path", folder), str(Path(folder) / "never-opened.duckdb")
        )
        yield json.loads((Path(folder) / "manifest.json").read_text())


def test_the_project_has_the_shape_the_rules_ask_for(manifest: dict[str, Any]) -> None:
    found = violations(manifest)
    unexpected = [str(v) for v in found if (v.rule, v.subject) not in ALLOWED]
    stale = sorted(set(ALLOWED) - {(v.rule, v.subject) for v in found})
    assert not unexpected, "DAG shape violations:\n  " + "\n  ".join(unexpected)
    assert not stale, f"allow-list entries no rule reports any more (remove them): {stale}"


def test_bookkeeping_models_exist_and_are_left_out(manifest: dict[str, Any]) -> None:
    # the named set must name real models, or the exclusion hides nothing and says so
    names = {node["name"] for node in manifest["nodes"].values()}
    assert names >= BOOKKEEPING_MODELS
    assert not {r.name for r in dag_from_manifest(manifest).resources.values()} & (
        BOOKKEEPING_MODELS
    )


# ----------------------------------------------------- each rule can fail: synthetic graphs


def fake_manifest(
    models: dict[str, list[str]],
    *,
    views: tuple[str, ...] = (),
    sources: tuple[str, ...] = (),
    code: dict[str, str] | None = None,
    extra_sources: dict[str, dict[str, str]] | None = None,
) -> dict[str, Any]:
    """A manifest with only what the rules read. Models are `layer/name` (folder under
    models/) with their parents' names; a source is `src.table`."""

    def model_id(name: str) -> str:
        return f"model.p.{name.split('/')[-1]}"

    nodes = {
        model_id(name): {
            "name": name.split("/")[-1],
            "resource_type": "model",
            "original_file_path": f"models/{name}.sql",
            "config": {"materialized": "view" if name in views else "table"},
            "raw_code": (code or {}).get(name, "select 1"),
            "tags": [],
        }
        for name in models
    }
    source_nodes = {
        f"source.p.{source}": {
            "name": source.split(".")[1],
            "source_name": source.split(".")[0],
            "resource_type": "source",
            "database": "db",
            "schema": source.split(".")[0],
            "identifier": source.split(".")[1],
        }
        for source in sources
    }
    source_nodes.update(extra_sources or {})
    by_name = {name.split("/")[-1]: model_id(name) for name in models}
    by_name.update({source: f"source.p.{source}" for source in sources})
    parent_map: dict[str, list[str]] = {
        model_id(name): [by_name[p] for p in parents] for name, parents in models.items()
    }
    parent_map.update({uid: [] for uid in source_nodes})
    return {"nodes": nodes, "sources": source_nodes, "parent_map": parent_map}


def found_by(rule: str, manifest: dict[str, Any]) -> list[str]:
    return [f"{v.subject}: {v.detail}" for v in violations(manifest) if v.rule == rule]


def test_model_fanout_counts_leaf_children_at_the_threshold() -> None:
    manifest = fake_manifest(
        {
            "staging/stg_a": ["raw.a"],
            "marts/one": ["stg_a"],
            "marts/two": ["stg_a"],
            "marts/three": ["stg_a"],
        },
        sources=("raw.a",),
    )
    assert found_by("model_fanout", manifest) == [
        "stg_a: 3 direct leaf children (threshold 3): one, three, two"
    ]
    # a child that has children of its own is not a leaf
    manifest = fake_manifest(
        {
            "staging/stg_a": ["raw.a"],
            "marts/one": ["stg_a"],
            "marts/two": ["stg_a"],
            "marts/three": ["stg_a"],
            "marts/four": ["three"],
        },
        sources=("raw.a",),
    )
    assert found_by("model_fanout", manifest) == []


def test_rejoining_needs_a_middle_model_with_no_other_child() -> None:
    models = {
        "staging/stg_a": ["raw.a"],
        "intermediate/int_a": ["stg_a"],
        "marts/a": ["stg_a", "int_a"],
    }
    manifest = fake_manifest(models, sources=("raw.a",))
    assert found_by("rejoining_of_upstream_concepts", manifest) == [
        "a: reads stg_a and int_a, whose only child it is and which reads stg_a too"
    ]
    manifest = fake_manifest({**models, "marts/b": ["int_a"]}, sources=("raw.a",))
    assert found_by("rejoining_of_upstream_concepts", manifest) == []


def test_chained_views_past_the_threshold() -> None:
    chain = ["v1", "v2", "v3", "v4", "v5"]
    models: dict[str, list[str]] = {"staging/v1": ["raw.a"]}
    models |= {f"marts/{name}": [parent] for parent, name in itertools.pairwise(chain)}
    models["marts/end"] = ["v5"]
    views = ("staging/v1", *(f"marts/{name}" for name in chain[1:]))
    assert found_by("chained_views", fake_manifest(models, views=views, sources=("raw.a",))) == [
        "end: at the end of a chain of 5 views (threshold 4)"
    ]
    # four views is the threshold itself: allowed
    assert (
        found_by("chained_views", fake_manifest(models, views=views[1:], sources=("raw.a",))) == []
    )


def test_layer_rules_on_sources() -> None:
    manifest = fake_manifest(
        {
            "staging/stg_a": ["raw.a"],
            "staging/stg_b": ["stg_a"],
            "intermediate/int_a": ["stg_a", "raw.a", "raw.b"],
            "staging/stg_c": ["int_a"],
        },
        sources=("raw.a", "raw.b", "raw.c"),
    )
    assert found_by("direct_join_to_source", manifest) == [
        "int_a: reads sources and models: raw.a, raw.b, stg_a"
    ]
    assert found_by("marts_or_intermediate_dependent_on_source", manifest) == [
        "int_a: intermediate model reading raw.a, raw.b"
    ]
    assert found_by("staging_dependent_on_staging", manifest) == ["stg_b: reads stg_a"]
    assert found_by("staging_dependent_on_downstream_models", manifest) == ["stg_c: reads int_a"]
    assert found_by("source_fanout", manifest) == ["raw.a: read by int_a, stg_a"]
    assert found_by("multiple_sources_joined", manifest) == ["int_a: reads raw.a, raw.b"]
    assert found_by("unused_sources", manifest) == ["raw.c: no model reads it"]


def test_root_models_and_the_time_spine() -> None:
    manifest = fake_manifest({"marts/orphan": [], "marts/metricflow_time_spine": []})
    assert found_by("root_models", manifest) == ["orphan: has no parent: no ref or source"]


def test_duplicate_sources() -> None:
    twin = {"name": "a_again", "source_name": "raw", "resource_type": "source", "database": "DB"}
    twin |= {"schema": "raw", "identifier": "A"}
    manifest = fake_manifest(
        {"staging/stg_a": ["raw.a"]},
        sources=("raw.a",),
        extra_sources={"source.p.raw.a_again": twin},
    )
    assert found_by("duplicate_sources", manifest) == [
        "db.raw.a: declared 2 times: raw.a, raw.a_again"
    ]


def test_too_many_joins_at_the_threshold() -> None:
    parents = [f"stg_{i}" for i in range(7)]
    models = {f"staging/{p}": [] for p in parents} | {"marts/wide": parents}
    assert found_by("too_many_joins", fake_manifest(models)) == [
        "wide: 7 direct parents (threshold 7)"
    ]
    models["marts/wide"] = parents[:6]
    assert found_by("too_many_joins", fake_manifest(models)) == []


def test_hard_coded_references_outside_jinja_and_comments() -> None:
    code = (
        "-- from raw.not_this\n"
        "with a as (select * from {{ ref('stg_a') }}),\n"
        'b as (select * from raw.cost_events join "marts".campaigns using (campaign_id)),\n'
        "c as (select * from range(3) cross join a)\n"
        "select * from a"
    )
    manifest = fake_manifest({"staging/stg_a": [], "marts/m": ["stg_a"]}, code={"marts/m": code})
    assert found_by("hard_coded_references", manifest) == [
        'm: reads "marts".campaigns, raw.cost_events'
    ]


def test_bookkeeping_models_and_their_edges_are_left_out() -> None:
    models = {
        "staging/stg_a": ["raw.a"],
        "refresh/refresh_scope": ["stg_a"],
        "intermediate/int_a": ["stg_a", "refresh_scope"],
        "refresh/refresh_state": ["raw.a", "raw.b", "int_a", "refresh_scope"],
        "marts/a": ["int_a", "refresh_scope"],
    }
    manifest = fake_manifest(models, sources=("raw.a", "raw.b"))
    assert [str(v) for v in violations(manifest)] == ["unused_sources: raw.b: no model reads it"]
    # a tagged model is bookkeeping too, wherever it lives
    manifest["nodes"]["model.p.int_a"]["tags"] = [BOOKKEEPING_TAG]
    assert "int_a" not in {r.name for r in dag_from_manifest(manifest).resources.values()}
