"""Sources of articles: feeds now; webhooks, /post and streams feed the same Store.ingest."""
