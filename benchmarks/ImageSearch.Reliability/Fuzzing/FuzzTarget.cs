namespace ImageSearch.Reliability.Fuzzing;

/// <summary>
/// One reader of outside bytes under fuzzing: valid seed files, the call that reads a candidate, the exception types its
/// documentation allows, and optionally a fix-up that repairs checksums so the mutated structure, not only the checksum
/// test, is exercised.
/// </summary>
/// <param name="Name">Short name (the table row, the regression folder).</param>
/// <param name="Seeds">Valid files, made in-process.</param>
/// <param name="Read">Reads one candidate; returning normally is fine (the mutation may still be a valid file).</param>
/// <param name="Allowed">Exception types (and their subclasses) the reader documents.</param>
/// <param name="Fixup">Recomputes checksums in place; applied to half the inputs.</param>
/// <param name="Tokens">Interesting byte strings for the insert-token mutator (text formats).</param>
/// <param name="AllocationSlack">Allocation allowed on top of 64 x the input size (fixed buffers, decoder state).</param>
/// <param name="Cost">Relative cost: inputs per run are divided by it (slow readers: images, archives).</param>
public sealed record FuzzTarget(
    string Name,
    IReadOnlyList<byte[]> Seeds,
    Func<byte[], Task> Read,
    Type[] Allowed,
    Action<byte[]>? Fixup = null,
    IReadOnlyList<byte[]>? Tokens = null,
    long AllocationSlack = 16L << 20,
    int Cost = 1)
{
    public bool IsAllowed(Exception e)
    {
        foreach (Type t in Allowed)
        {
            if (t.IsInstanceOfType(e))
            {
                return true;
            }
        }

        return false;
    }
}
