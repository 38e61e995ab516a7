"""What a user pool's mail and texts say, and how they leave."""
