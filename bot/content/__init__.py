"""Article content: fetching and extracting pages (extract, enrich), and turning
text into summaries (sentences, summary)."""
