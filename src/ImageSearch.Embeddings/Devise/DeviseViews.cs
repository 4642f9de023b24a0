
namespace ImageSearch;

/// <summary>
/// Other views of a photo for the same backbone (augmentation and test-time averaging): each is a copy of a descriptor
/// with its own <see cref="ImageModelDescriptor.Name"/>, so feature caches of different views never mix. Thread-safe.
/// </summary>
public static class DeviseViews
{
    /// <summary>The photo mirrored left-to-right (name suffix <c>-mirror</c>).</summary>
    /// <param name="descriptor">The backbone's ordinary descriptor.</param>
    /// <returns>The mirrored view's descriptor.</returns>
    public static ImageModelDescriptor Mirror(ImageModelDescriptor descriptor)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        return descriptor with { Name = descriptor.Name + "-mirror", MirrorHorizontally = !descriptor.MirrorHorizontally };
    }

    /// <summary>The whole photo squeezed to the input size without a crop (name suffix <c>-stretch</c>).</summary>
    /// <param name="descriptor">The backbone's ordinary descriptor.</param>
    /// <returns>The stretched view's descriptor.</returns>
    public static ImageModelDescriptor Stretch(ImageModelDescriptor descriptor)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        return descriptor with { Name = descriptor.Name + "-stretch", ResizeMode = ImageResizeMode.Stretch };
    }

    /// <summary>
    /// The extra views the Pascal evaluation uses by default (chosen on validation folds, see <c>docs/evaluation.md</c>):
    /// mirrored, stretched (no crop), and stretched and mirrored. With the original that makes four views per photo.
    /// </summary>
    /// <param name="descriptor">The backbone's ordinary descriptor.</param>
    /// <returns>Three descriptors.</returns>
    public static IReadOnlyList<ImageModelDescriptor> Default(ImageModelDescriptor descriptor)
        => [Mirror(descriptor), Stretch(descriptor), Mirror(Stretch(descriptor))];
}
