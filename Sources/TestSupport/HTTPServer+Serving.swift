import ServiceRuntime

extension HTTPServer {
    /// Binds, runs the server while `body` gets the bound port, then stops it and waits for `run()`.
    public nonisolated func serving<Result>(_ body: (Int) async throws -> Result) async throws -> Result {
        try await bind()
        let running = Task { try await run() }
        let result: Result
        do {
            result = try await body(try await localPort())
        } catch {
            await stop()
            _ = await running.result
            throw error
        }
        await stop()
        try await running.value
        return result
    }
}
