"""The platform's use cases and lookups, in one place for other domains, the API, the console and the CLI.

The code lives in topic modules (``config_center``, ``dictionary``, ``job_runner``, ``notifications``); other
domains import only this module (the dependency rules allow ``service``), e.g.::

    from autofin.platform.service import get_parameter, label, notify, declare_job
"""

from __future__ import annotations

# the idempotency-key store, for edges that claim keys themselves (signed partner routes) rather than through
# the API middleware
from autofin.platform import idempotency as idempotency

# batch units fanned out to threads or Celery workers (the end-of-day partitions)
from autofin.platform import workers as workers
from autofin.platform.config_center import (
    BUSINESS_TZ,
    Resolved,
    business_today,
    change_parameter,
    create_parameter,
    get_parameter,
    list_parameters,
    lookup_parameter,
    parameter_history,
    resolve_parameter,
)
from autofin.platform.dictionary import (
    DictionaryEntry,
    create_dictionary_item,
    create_dictionary_type,
    delete_dictionary_item,
    dictionary_items,
    get_dictionary_type,
    is_valid_code,
    label,
    list_dictionary_items,
    list_dictionary_types,
    update_dictionary_item,
    update_dictionary_type,
)
from autofin.platform.job_runner import (
    JobRunContext,
    JobSpec,
    JobView,
    declare_job,
    declared_jobs,
    get_job,
    list_jobs,
    list_runs,
    pause_job,
    resume_job,
    run_job,
    run_job_now,
    update_cron,
)
from autofin.platform.notifications import (
    DeliveryAdapter,
    enqueue,
    list_inbox,
    mark_all_read,
    mark_read,
    notify,
    register_adapter,
    send_notification,
    unread_count,
)
from autofin.platform.schemas import ParameterChange

__all__ = [
    "BUSINESS_TZ",
    "DeliveryAdapter",
    "DictionaryEntry",
    "JobRunContext",
    "JobSpec",
    "JobView",
    "ParameterChange",
    "Resolved",
    "business_today",
    "change_parameter",
    "create_dictionary_item",
    "create_dictionary_type",
    "create_parameter",
    "declare_job",
    "declared_jobs",
    "delete_dictionary_item",
    "dictionary_items",
    "enqueue",
    "get_dictionary_type",
    "get_job",
    "get_parameter",
    "is_valid_code",
    "label",
    "list_dictionary_items",
    "list_dictionary_types",
    "list_inbox",
    "list_jobs",
    "list_parameters",
    "list_runs",
    "lookup_parameter",
    "mark_all_read",
    "mark_read",
    "notify",
    "parameter_history",
    "pause_job",
    "register_adapter",
    "resolve_parameter",
    "resume_job",
    "run_job",
    "run_job_now",
    "send_notification",
    "unread_count",
    "update_cron",
    "update_dictionary_item",
    "update_dictionary_type",
]
