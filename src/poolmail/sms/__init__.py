"""Text messages: the SMS outbox where every SMS a user pool sends is captured."""
