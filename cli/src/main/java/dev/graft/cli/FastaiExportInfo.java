package dev.graft.cli;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.graft.models.GraftException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * What a fastai {@code export.pkl} says beyond its weights: the class labels ({@code dls.vocab}) and the normalisation
 * statistics, so that {@code graft export --weights export.pkl} needs neither {@code --labels} nor {@code --mean/--std}.
 * The weight reader reports them as metadata strings; null fields mean the file did not carry them.
 */
record FastaiExportInfo(List<String> vocab, List<Double> mean, List<Double> std) {
    static final FastaiExportInfo NONE = new FastaiExportInfo(null, null, null);
    private static final ObjectMapper JSON = new ObjectMapper();

    static FastaiExportInfo of(Map<String, String> metadata, Path file) {
        try {
            return new FastaiExportInfo(parse(metadata.get("fastai.vocab"), new TypeReference<List<String>>() { }),
                parse(metadata.get("fastai.normalize.mean"), new TypeReference<List<Double>>() { }),
                parse(metadata.get("fastai.normalize.std"), new TypeReference<List<Double>>() { }));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new GraftException(file + ": its labels or normalisation could not be read (" + e.getOriginalMessage()
                + "); pass --labels, --mean and --std");
        }
    }

    private static <T> T parse(String json, TypeReference<T> type) throws com.fasterxml.jackson.core.JsonProcessingException {
        return json == null ? null : JSON.readValue(json, type);
    }
}
