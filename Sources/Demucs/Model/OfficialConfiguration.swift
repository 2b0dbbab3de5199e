extension HTDemucsConfig {
    /// The configuration of the official `htdemucs` checkpoint (955717e8).
    public static var officialHTDemucs: HTDemucsConfig {
        var config = HTDemucsConfig(sources: ["drums", "bass", "other", "vocals"])
        config.segment = Segment(numerator: 39, denominator: 5)
        config.dconvMode = 3
        config.bottomChannels = 512
        return config
    }
}
