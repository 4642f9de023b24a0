namespace ImageSearch;

/// <summary>
/// Where the shards of distributed indexes keep their manifest, snapshots and write-ahead logs: named objects
/// (<c>{index}/manifest</c>, <c>{index}/shard-0007/snapshot-000000000003</c>, <c>{index}/shard-0007/log-000000000004</c>)
/// in storage every silo can reach. <see cref="FolderShardStorage"/> is the default; an object store can implement it.
/// </summary>
/// <remarks>
/// <para>What the shards rely on, and what an implementation must guarantee:</para>
/// <list type="bullet">
/// <item><see cref="WriteAtomicAsync"/>: when it returns, the object is durable; a reader sees the old object or the
/// whole new one, never a mix, also after a crash during the write.</item>
/// <item><see cref="IShardLogAppender.AppendAsync"/>: when it returns, the bytes appended so far are durable. A crash
/// during an append may leave a prefix of the record (or zeros) at the end of the object, never damage earlier bytes.</item>
/// <item><see cref="ListAsync"/> sees every object whose write or creation has returned; <see cref="DeleteAsync"/> of an
/// absent object does nothing.</item>
/// </list>
/// <para>Thread-safety: implementations must allow calls from several threads at once (different shards of a silo
/// use one instance); one shard uses an object from one thread at a time.</para>
/// </remarks>
public interface IShardStorage
{
    /// <summary>Opens an object for reading.</summary>
    /// <param name="name">The object's name (letters, digits, <c>-</c>, <c>_</c>, <c>.</c> and <c>/</c>).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A readable stream the caller disposes, or <see langword="null"/> when the object does not exist.</returns>
    Task<Stream?> OpenReadAsync(string name, CancellationToken cancellationToken);

    /// <summary>Creates or replaces an object atomically and durably (see the remarks).</summary>
    /// <param name="name">The object's name.</param>
    /// <param name="write">Writes the content to the stream it is given (synchronously; the call may block on it).</param>
    /// <param name="cancellationToken">Cancels the call; the old object is then left as it was.</param>
    /// <returns>A task that completes once the object is durable.</returns>
    Task WriteAtomicAsync(string name, Action<Stream> write, CancellationToken cancellationToken);

    /// <summary>Creates an empty object (durably: it is listed after a crash) and opens it for appending.</summary>
    /// <param name="name">The object's name; must not exist.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The appender; the caller disposes it.</returns>
    /// <exception cref="IOException">The object already exists.</exception>
    Task<IShardLogAppender> CreateAppendAsync(string name, CancellationToken cancellationToken);

    /// <summary>The names of the objects whose names start with <paramref name="prefix"/>.</summary>
    /// <param name="prefix">A name prefix, such as <c>myindex/shard-0003/</c>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The names, in no particular order.</returns>
    Task<IReadOnlyList<string>> ListAsync(string prefix, CancellationToken cancellationToken);

    /// <summary>Deletes an object (durably); nothing happens when it does not exist.</summary>
    /// <param name="name">The object's name.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes once the object is gone.</returns>
    Task DeleteAsync(string name, CancellationToken cancellationToken);
}

/// <summary>An object of an <see cref="IShardStorage"/> open for appending (a shard's write-ahead log segment).</summary>
/// <remarks>Thread-safety: not thread-safe; one writer at a time (a shard grain's write turn).</remarks>
public interface IShardLogAppender : IAsyncDisposable
{
    /// <summary>Appends bytes at the end of the object; when the task completes they are durable.</summary>
    /// <param name="data">The bytes to append.</param>
    /// <param name="cancellationToken">Cancels the call (the bytes may or may not have been appended).</param>
    /// <returns>A task that completes once the bytes are durable.</returns>
    Task AppendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken);
}
