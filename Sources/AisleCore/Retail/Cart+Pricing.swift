extension Cart {
    /// The cart priced against `catalog`: sealed lines once checked out, live lines otherwise.
    public func priced(with catalog: Catalog) -> CartTotals {
        Pricing.price(visibleLines, catalog: catalog)
    }
}
