"""The plan's title and its publisher as the report and the meeting deck print them."""

PLAN_TITLE = "狛江市第7次行財政改革推進計画"
PUBLISHER = "狛江市"
