namespace ImageSearch;

/// <summary>Some shards of a <see cref="DistributedIndex"/> did not answer within
/// <see cref="DistributedIndexClientOptions.ShardTimeout"/>; <see cref="Shards"/> names them.</summary>
/// <remarks>Thread-safety: as any exception, safe to read from several threads once thrown.</remarks>
public sealed class ShardUnavailableException : Exception
{
    /// <summary>Creates the exception with a default message.</summary>
    public ShardUnavailableException()
        : this("Some shards did not answer in time.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What happened.</param>
    public ShardUnavailableException(string message)
        : this(message, null)
    {
    }

    /// <summary>Creates the exception with a message and the last error seen.</summary>
    /// <param name="message">What happened.</param>
    /// <param name="innerException">The last error a missing shard gave, if any.</param>
    public ShardUnavailableException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for the given shards.</summary>
    /// <param name="index">The distributed index.</param>
    /// <param name="shards">The shards that did not answer.</param>
    /// <param name="timeout">How long they were waited for.</param>
    /// <param name="innerException">The last error one of them gave, if any.</param>
    public ShardUnavailableException(string index, IReadOnlyList<int> shards, TimeSpan timeout, Exception? innerException)
        : base($"Distributed index '{index}': shard(s) {string.Join(", ", shards)} did not answer within {timeout.TotalSeconds:0.###} s.", innerException)
        => Shards = shards;

    /// <summary>The shards that did not answer.</summary>
    public IReadOnlyList<int> Shards { get; } = [];
}
