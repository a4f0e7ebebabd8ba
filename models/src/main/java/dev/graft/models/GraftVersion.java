package dev.graft.models;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** Graft's own version, as the build stamped it: printed by {@code graft --version} and written into exports. */
public final class GraftVersion {
    private static final String VERSION = load();

    private GraftVersion() {
    }

    public static String get() {
        return VERSION;
    }

    private static String load() {
        try (InputStream in = GraftVersion.class.getResourceAsStream("version.properties")) {
            if (in == null) {
                return "unknown";
            }
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version", "unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }
}
