"""SES mail routing: a mailbox on our domain for every account, forwarded to its owner."""
