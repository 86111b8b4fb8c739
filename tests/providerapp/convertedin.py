from convertedin_feed.adapters import StoreAdapter


class ProvidedStoreAdapter(StoreAdapter):
    """The provided storeinfo adapter: it beats the feed's own default."""
