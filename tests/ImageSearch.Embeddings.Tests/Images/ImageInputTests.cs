using System.Reflection;
using Microsoft.Extensions.AI;

namespace ImageSearch.Embeddings.Tests.Images;

public class ImageInputTests
{
    private static bool Implements(Type type, Type embedderInput)
        => typeof(IEmbedder<>).MakeGenericType(embedderInput).IsAssignableFrom(type);

    [Fact]
    public void Paths_and_words_cannot_be_mixed()
    {
        // The "paths vs words" trap: image embedders took strings, so a word embedder accepted "photo.jpg" and an
        // image embedder a word. Compile-time safety is asserted through the types the compiler checks.
        foreach (Type image in new[] { typeof(OnnxImageEmbedder), typeof(DeviseEmbedder), typeof(ViewAveragingEmbedder) })
        {
            Assert.True(Implements(image, typeof(ImageInput)), $"{image.Name} is not an IEmbedder<ImageInput>");
            Assert.False(Implements(image, typeof(string)), $"{image.Name} is an IEmbedder<string>");
        }

        Assert.True(Implements(typeof(WordEmbedder), typeof(string)));
        Assert.False(Implements(typeof(WordEmbedder), typeof(ImageInput)));

        // No conversion turns a string into an ImageInput (which would let QueryBuilder.Add(imageEmbedder, "sofa") compile).
        var conversions = typeof(ImageInput).GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static)
            .Where(m => m.Name is "op_Implicit" or "op_Explicit");
        Assert.Empty(conversions);
        Assert.DoesNotContain(typeof(ImageInput).GetConstructors(), c => c.GetParameters() is [{ } p] && p.ParameterType == typeof(string));

        // The engine takes images as ImageInput.
        Assert.Equal(typeof(ImageInput), typeof(ImageSearchEngine).GetMethod(nameof(ImageSearchEngine.SimilarAsync))!.GetParameters()[0].ParameterType);
        Assert.Equal(typeof(ImageInput), typeof(ImageSearchEngine).GetMethod(nameof(ImageSearchEngine.TagsAsync))!.GetParameters()[0].ParameterType);
        Assert.Equal(typeof(IEmbedder<ImageInput>), typeof(ImageSearchEngine).GetProperty(nameof(ImageSearchEngine.Embedder))!.PropertyType);

        // Through Microsoft.Extensions.AI an image embedder takes DataContent, never strings.
        foreach (MethodInfo m in typeof(EmbedderAiExtensions).GetMethods(BindingFlags.Public | BindingFlags.Static))
        {
            Assert.False(m.IsGenericMethodDefinition, $"{m.Name} is generic, so it would accept any input type");
            Type from = m.GetParameters()[0].ParameterType, to = m.ReturnType;
            bool images = from.GetGenericArguments()[0] == typeof(ImageInput) || to.GetGenericArguments()[0] == typeof(ImageInput);
            bool content = from.GetGenericArguments()[0] == typeof(DataContent) || to.GetGenericArguments()[0] == typeof(DataContent);
            Assert.Equal(images, content);
        }
    }

    [Fact]
    public void Factories_check_their_arguments_and_name_the_image()
    {
        Assert.ThrowsAny<ArgumentException>(() => ImageInput.FromFile(null!));
        Assert.ThrowsAny<ArgumentException>(() => ImageInput.FromFile(" "));
        var file = ImageInput.FromFile("photos/cat.jpg");
        Assert.Equal("photos/cat.jpg", file.Name);
        Assert.Equal("photos/cat.jpg", file.FilePath);
        Assert.Equal("photos/cat.jpg", file.ToString());

        var bytes = ImageInput.FromBytes(new byte[12]);
        Assert.Equal("12-byte image", bytes.Name);
        Assert.Null(bytes.FilePath);
        Assert.Equal("mine", ImageInput.FromBytes(new byte[1], "mine").Name);

        Assert.Throws<ArgumentNullException>(() => ImageInput.FromStream(null!));
        using var writeOnly = new WriteOnlyStream();
        Assert.Throws<ArgumentException>(() => ImageInput.FromStream(writeOnly));
        Assert.Equal("stream", ImageInput.FromStream(new MemoryStream([1, 2])).Name);

        Assert.Throws<ArgumentNullException>(() => ImageInput.FromDataContent(null!));
        var e = Assert.Throws<ArgumentException>(() => ImageInput.FromDataContent(new DataContent(new byte[] { 1 }, "application/pdf")));
        Assert.Contains("'application/pdf'", e.Message);
        Assert.Equal("image/png data (1 bytes)", ImageInput.FromDataContent(new DataContent(new byte[] { 1 }, "image/png")).Name);
        Assert.Equal("x.webp", ImageInput.FromDataContent(new DataContent(new byte[] { 1 }, "image/webp") { Name = "x.webp" }).Name);
    }

    [Fact]
    public void A_stream_is_read_at_creation_and_left_open()
    {
        var stream = new MemoryStream([0xFF, 0xD8, 0xFF, 7, 8]);
        stream.Position = 1;
        var image = ImageInput.FromStream(stream, "s");
        Assert.True(stream.CanRead); // left open for the caller to dispose
        Assert.Equal(5, stream.Position);
        stream.Dispose();
        Assert.Equal([0xD8, 0xFF, 7, 8], image.ReadEncoded().ToArray()); // from the current position, held in memory
    }

    [Theory]
    [InlineData(new byte[] { 0xFF, 0xD8, 0xFF, 0xE0 }, "image/jpeg")]
    [InlineData(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D }, "image/png")]
    [InlineData(new byte[] { 0x47, 0x49, 0x46, 0x38, 0x39, 0x61 }, "image/gif")]
    [InlineData(new byte[] { 0x52, 0x49, 0x46, 0x46, 0, 0, 0, 0, 0x57, 0x45, 0x42, 0x50 }, "image/webp")]
    [InlineData(new byte[] { 0x42, 0x4D, 0 }, "image/bmp")]
    [InlineData(new byte[] { 1, 2, 3 }, "application/octet-stream")]
    public void Media_types_come_from_the_signature(byte[] bytes, string expected)
        => Assert.Equal(expected, ImageInput.MediaTypeOf(bytes));

    private sealed class WriteOnlyStream : MemoryStream
    {
        public override bool CanRead => false;
    }
}
