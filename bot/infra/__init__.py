"""Infrastructure: logging, the embedded Redis, the leader lease, the process
supervisor, Redis health."""
