import Foundation

/// Waiting in tests, always bounded.
public enum Polling {
    /// Polls `condition` every `interval` until it holds or `limit` passes; returns
    /// whether it held.
    public static func until(
        limit: Duration,
        every interval: Duration = .milliseconds(10),
        _ condition: () -> Bool
    ) -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now + limit
        while clock.now < deadline {
            if condition() { return true }
            Thread.sleep(forTimeInterval: interval / .seconds(1))
        }
        return condition()
    }

    /// `until` for async tests: sleeps between polls instead of blocking a thread of the
    /// cooperative pool, where in-process servers under test run too.
    public static func eventually(
        limit: Duration,
        every interval: Duration = .milliseconds(10),
        isolation: isolated (any Actor)? = #isolation,
        _ condition: () -> Bool
    ) async -> Bool {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if condition() { return true }
            try? await Task.sleep(for: interval)
        }
        return condition()
    }
}

/// Carries a value a test hands between threads it has ordered by hand (a media
/// worker's `sync`, for example).
public final class UncheckedSendableBox<T>: @unchecked Sendable {
    public var value: T
    public init(_ value: T) { self.value = value }
}
