"""Text limits, stated once: the columns are sized by them and the input schemas check them."""

TITLE_MAX = 200  # a task's title, and a conversation's
DESCRIPTION_MAX = 2000
SEARCH_MAX = 200
NAME_MAX = 100  # a user's display name
EMAIL_MAX = 320  # RFC 5321: 64 for the local part, @, 255 for the domain
MESSAGE_MAX = 4000  # one chat message from a user
TOOL_NAME_MAX = 64
ERROR_CODE_MAX = 64
MODEL_NAME_MAX = 200
REQUEST_ID_MAX = 128
SUBJECT_MAX = 255  # `sub` of an external identity provider's token
CLIENT_ID_MAX = 200  # a client's own id for a conversation or a message
EVENT_TYPE_MAX = 32
RATE_KEY_MAX = 255
