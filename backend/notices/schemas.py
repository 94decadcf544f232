"""What the notice settings API reads and writes."""

from backend.core.schemas import Input, Output, StrictBool


class NoticeSettingsInput(Input):
    sms: StrictBool


class NoticeSettingsPublic(Output):
    # Whether the caller gets texts about their 待办 (at most MAX_PER_DAY a day).
    sms: bool
    # Whether a text can reach them at all: an account without a phone number gets none.
    has_phone: bool
    max_per_day: int
