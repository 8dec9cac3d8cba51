"""critic's rule pack: the explicit list of every rule critic runs.

A rule is added here and nowhere else: no registration by import side effects, no package
walking. The order of the list is the order of ``critic rules``.
"""
from __future__ import annotations

from critic.rule import PythonVisitor, RuleMeta
from critic.rules.project.unparsable_file import UnparsableFile
from critic.rules.project.spec_compliance import SpecCompliance
from critic.rules.project.handoff_claims import HandoffClaims
from critic.rules.python.stack_facts import StackFacts
from critic.rules.dockerfile.root_final_stage import RootFinalStage
from critic.rules.dockerfile.single_stage_build import SingleStageBuild
from critic.rules.dockerfile.non_minimal_base_image import NonMinimalBaseImage
from critic.rules.dockerfile.unpinned_base_image import UnpinnedBaseImage
from critic.rules.dockerfile.missing_healthcheck import MissingHealthcheck
from critic.rules.dockerfile.secret_baked_into_image import SecretBakedIntoImage
from critic.rules.dockerfile.source_copied_before_install import SourceCopiedBeforeInstall
from critic.rules.dockerfile.missing_dockerignore import MissingDockerignore
from critic.rules.dockerfile.install_cache_left import InstallCacheLeft
from critic.rules.project.schema_without_migrations import SchemaWithoutMigrations
from critic.rules.project.missing_container_files import MissingContainerFiles
from critic.rules.project.missing_tests import MissingTests
from critic.rules.project.unrequested_docs import UnrequestedDocs
from critic.rules.python.orm_facts import OrmFacts
from critic.rules.python.unindexed_foreign_key import UnindexedForeignKey
from critic.rules.python.n_plus_one_query import NPlusOneLazyLoad, NPlusOneQuery
from critic.rules.python.non_atomic_commit import NonAtomicCommit, UnguardedCommit
from critic.rules.python.web_facts import WebFacts
from critic.rules.project.error_without_envelope import ErrorWithoutEnvelope
from critic.rules.python.unpaginated_list_endpoint import UnpaginatedListEndpoint
from critic.rules.project.unversioned_route import UnversionedRoute
from critic.rules.python.raw_request_input import RawRequestInput
from critic.rules.python.rest_convention_violation import RestConventionViolation
from critic.rules.project.missing_health_endpoint import MissingHealthEndpoint
from critic.rules.python.database_work_in_route import DatabaseWorkInRoute
from critic.rules.python.http_error_outside_router import HttpErrorOutsideRouter
from critic.rules.python.wildcard_cors import WildcardCors
from critic.rules.project.auth_route_without_rate_limit import AuthRouteWithoutRateLimit
from critic.rules.project.unauthenticated_state_change import UnauthenticatedStateChange
from critic.rules.python.sql_string_building import SqlStringBuilding
from critic.rules.python.todo_marker import TodoMarker
from critic.rules.dockerfile.todo_marker import DockerfileTodoMarker
from critic.rules.compose.todo_marker import ComposeTodoMarker
from critic.rules.compose.invalid_compose_file import InvalidComposeFile
from critic.rules.compose.hardcoded_secret_in_compose import HardcodedSecretInCompose
from critic.rules.compose.service_without_healthcheck import ServiceWithoutHealthcheck
from critic.rules.compose.dependency_not_awaited_healthy import DependencyNotAwaitedHealthy
from critic.rules.compose.database_without_named_volume import DatabaseWithoutNamedVolume
from critic.rules.compose.service_on_default_network import ServiceOnDefaultNetwork
from critic.rules.compose.unpinned_image import UnpinnedImage
from critic.rules.compose.excessive_container_privilege import ExcessiveContainerPrivilege
from critic.rules.python.placeholder_implementation import PlaceholderImplementation
from critic.rules.python.swallowed_exception import SwallowedException
from critic.rules.python.blocking_call_in_async import BlockingCallInAsync
from critic.rules.python.secrets_in_logs import SecretsInLogs
from critic.rules.python.hardcoded_secrets import HardcodedSecret
from critic.rules.python.weak_password_hashing import WeakPasswordHashing
from critic.rules.python.insecure_jwt import InsecureJwt
from critic.rules.python.debug_mode_enabled import DebugModeEnabled

#: Bumped whenever a rule changes what it reports; part of the cache key.
VERSION = "0.1.1"

RULES: tuple[type[RuleMeta], ...] = (
    UnparsableFile,
    SpecCompliance,
    HandoffClaims,
    RootFinalStage,
    SingleStageBuild,
    NonMinimalBaseImage,
    UnpinnedBaseImage,
    MissingHealthcheck,
    SecretBakedIntoImage,
    SourceCopiedBeforeInstall,
    MissingDockerignore,
    InstallCacheLeft,
    SchemaWithoutMigrations,
    UnindexedForeignKey,
    NPlusOneQuery,
    NPlusOneLazyLoad,
    NonAtomicCommit,
    UnguardedCommit,
    MissingContainerFiles,
    MissingTests,
    UnrequestedDocs,
    SqlStringBuilding,
    ErrorWithoutEnvelope,
    UnpaginatedListEndpoint,
    UnversionedRoute,
    RawRequestInput,
    RestConventionViolation,
    MissingHealthEndpoint,
    DatabaseWorkInRoute,
    HttpErrorOutsideRouter,
    WildcardCors,
    AuthRouteWithoutRateLimit,
    UnauthenticatedStateChange,
    TodoMarker,
    DockerfileTodoMarker,
    ComposeTodoMarker,
    InvalidComposeFile,
    HardcodedSecretInCompose,
    ServiceWithoutHealthcheck,
    DependencyNotAwaitedHealthy,
    DatabaseWithoutNamedVolume,
    ServiceOnDefaultNetwork,
    UnpinnedImage,
    ExcessiveContainerPrivilege,
    PlaceholderImplementation,
    SwallowedException,
    BlockingCallInAsync,
    SecretsInLogs,
    HardcodedSecret,
    WeakPasswordHashing,
    InsecureJwt,
    DebugModeEnabled,
)

#: Visitors that gather facts for project-level rules (routes, apps, models), without ids.
COLLECTORS: tuple[type[PythonVisitor], ...] = (
    StackFacts,
    WebFacts,
    OrmFacts,
)
