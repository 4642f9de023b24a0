using System.Globalization;
using System.Text.Json;
using Spectre.Console;

namespace ImageSearch.Cli;

/// <summary>Prints results as a Spectre table, a JSON array (<c>--json</c>) and/or an HTML contact sheet (<c>--html</c>).</summary>
public sealed class Output(IAnsiConsole console, TextWriter stdout, bool json, string? htmlPath)
{
    /// <summary>The console tables go to.</summary>
    public IAnsiConsole Console { get; } = console;

    /// <summary>Standard output, for JSON.</summary>
    public TextWriter Writer { get; } = stdout;

    /// <summary>Whether results are printed as JSON instead of tables.</summary>
    public bool Json { get; } = json;

    /// <summary>Where the contact sheet goes, if anywhere.</summary>
    public string? HtmlPath { get; } = htmlPath;

    /// <summary>Prints a heading line (not in JSON mode).</summary>
    /// <param name="markup">Spectre markup.</param>
    public void Heading(string markup)
    {
        if (!Json)
        {
            Console.MarkupLine(markup);
        }
    }

    /// <summary>Prints results.</summary>
    /// <param name="title">Table title and contact-sheet heading.</param>
    /// <param name="rows">The results.</param>
    /// <param name="queryImage">The query photo, shown first on the contact sheet.</param>
    public void Results(string title, IReadOnlyList<ResultRow> rows, string? queryImage = null)
    {
        if (Json)
        {
            WriteJson(Writer, rows);
        }
        else
        {
            Console.Write(Table(title, rows));
        }

        if (HtmlPath is not null)
        {
            ContactSheet.Write(HtmlPath, title, rows, queryImage);
            if (!Json)
            {
                Console.MarkupLine($"[grey]contact sheet: {Markup.Escape(Path.GetFullPath(HtmlPath))}[/]");
            }
        }
    }

    /// <summary>Builds the table of <paramref name="rows"/>.</summary>
    /// <param name="title">The title.</param>
    /// <param name="rows">The results.</param>
    /// <returns>The table.</returns>
    public static Table Table(string title, IReadOnlyList<ResultRow> rows)
    {
        bool words = rows.Count > 0 && rows[0].Word is not null;
        bool described = rows.Any(r => r.Description is not null);
        var table = new Table().Border(TableBorder.Rounded).Title(Markup.Escape(title));
        table.AddColumn(new TableColumn("#").RightAligned());
        table.AddColumn(new TableColumn("distance").RightAligned());
        if (words)
        {
            table.AddColumn("word");
        }
        else
        {
            table.AddColumn("label");
            table.AddColumn("photo");
            if (described)
            {
                table.AddColumn("description");
            }
        }

        foreach (var r in rows)
        {
            string rank = r.Rank.ToString(CultureInfo.InvariantCulture);
            string distance = r.Distance.ToString("F4", CultureInfo.InvariantCulture);
            if (words)
            {
                table.AddRow(rank, distance, Markup.Escape(r.Word ?? ""));
            }
            else if (described)
            {
                table.AddRow(rank, distance, Markup.Escape(r.Label ?? ""), Markup.Escape(Short(r.Path ?? "")), Markup.Escape(FirstLine(r.Description)));
            }
            else
            {
                table.AddRow(rank, distance, Markup.Escape(r.Label ?? ""), Markup.Escape(Short(r.Path ?? "")));
            }
        }

        if (rows.Count == 0)
        {
            table.Caption("no results");
        }

        return table;
    }

    /// <summary>Writes the JSON array: <c>rank</c>, <c>distance</c> and <c>path</c> (+ <c>label</c>) or <c>word</c>.</summary>
    /// <param name="writer">Where to write.</param>
    /// <param name="rows">The results.</param>
    public static void WriteJson(TextWriter writer, IReadOnlyList<ResultRow> rows)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartArray();
            foreach (var r in rows)
            {
                w.WriteStartObject();
                w.WriteNumber("rank", r.Rank);
                w.WriteNumber("distance", Math.Round(r.Distance, 6));
                if (r.Word is not null)
                {
                    w.WriteString("word", r.Word);
                }
                else
                {
                    w.WriteString("path", r.Path);
                    w.WriteString("label", r.Label);
                    if (r.Description is not null)
                    {
                        w.WriteString("description", r.Description);
                    }
                }

                w.WriteEndObject();
            }

            w.WriteEndArray();
        }

        writer.WriteLine(System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
        writer.Flush();
    }

    /// <summary>A description's first line, cut to 60 characters, for tables.</summary>
    /// <param name="description">The description, or <see langword="null"/>.</param>
    /// <returns>The line (empty for none).</returns>
    public static string FirstLine(string? description)
    {
        string line = (description ?? "").Split('\n')[0].Trim();
        return line.Length > 60 ? line[..57] + "..." : line;
    }

    /// <summary>The last folder and file name of a path, for tables.</summary>
    /// <param name="path">A path.</param>
    /// <returns><c>folder/file</c>.</returns>
    public static string Short(string path)
    {
        string? dir = Path.GetFileName(Path.GetDirectoryName(path));
        return string.IsNullOrEmpty(dir) ? Path.GetFileName(path) : $"{dir}/{Path.GetFileName(path)}";
    }
}
