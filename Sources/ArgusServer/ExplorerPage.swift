/// The explorer page served at `/`: one self-contained HTML file (no CDN, works offline) that lists the served
/// models, sends images to /detect or /segment and draws the JSON it gets back. Package.swift embeds
/// explorer.html with `.embedInCode`.
public enum ExplorerPage {
    public static var bytes: [UInt8] { PackageResources.explorer_html }
}
