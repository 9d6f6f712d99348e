"""When to ask Mailchimp again: exponential backoff with full jitter, bounded in tries and time."""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass(frozen=True)
class RetryPolicy:
    """Bounds for retrying 429, 5xx and network failures.

    `max_attempts` counts the first try. `max_total_wait` caps the sum of pauses, so a job never
    sleeps longer than that before giving up and letting its caller reschedule.
    """

    max_attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 30.0
    max_total_wait: float = 120.0
    random: random.Random = field(default_factory=random.Random, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.base_delay < 0 or self.max_delay < 0 or self.max_total_wait < 0:
            raise ValueError("delays must not be negative")

    def delay_before(self, attempt: int, retry_after: float | None = None) -> float:
        """Pause before try number `attempt + 1`; Mailchimp's `Retry-After` wins when given."""
        if retry_after is not None:
            return retry_after
        ceiling = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        return self.random.uniform(0, ceiling)
