import ConcurrencySpec

/// The jobs that the executor clauses submit so that they run alike on
/// threads and in worker processes.
public enum ProbeJobs {
    /// Every type, for ``Conformance/workerJobs``.
    public static let all: [any PortableJob.Type] = []
}
