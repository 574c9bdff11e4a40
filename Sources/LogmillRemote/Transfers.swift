import LogmillNet
import LogmillSources

extension HTTPClient {
    /// This client, counting every attempt into `transfers` under `service` (nil: not counting).
    public func counting(_ transfers: TransferCounter?, as service: String) -> HTTPClient {
        guard let transfers else { return self }
        onAttempt = { attempt, bytes in transfers.attempt(service, number: attempt, bytes: bytes) }
        return self
    }
}
