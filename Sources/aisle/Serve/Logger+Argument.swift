public import ArgumentParser
public import Logging

/// `--log-level trace|debug|info|notice|warning|error|critical`: any other word is refused with
/// the list of levels.
extension Logger.Level: @retroactive ExpressibleByArgument {}
