#include "CAVFormat.h"

#include <libavformat/avformat.h>
#include <libavutil/opt.h>
#include <string.h>

struct sfu_muxer {
    AVFormatContext *context;
    int started;
};

static enum AVCodecID codec_id(int codec) {
    switch (codec) {
    case SFU_CODEC_VP8: return AV_CODEC_ID_VP8;
    case SFU_CODEC_VP9: return AV_CODEC_ID_VP9;
    case SFU_CODEC_H264: return AV_CODEC_ID_H264;
    case SFU_CODEC_AV1: return AV_CODEC_ID_AV1;
    case SFU_CODEC_OPUS: return AV_CODEC_ID_OPUS;
    default: return AV_CODEC_ID_NONE;
    }
}

void sfu_muxer_error_text(int code, char *text, size_t length) {
    if (av_strerror(code, text, length) < 0) snprintf(text, length, "libav error %d", code);
}

sfu_muxer *sfu_muxer_open(const char *path, const char *format, int cluster_ms, char *error, size_t error_length) {
    av_log_set_level(AV_LOG_ERROR);
    sfu_muxer *muxer = calloc(1, sizeof(sfu_muxer));
    if (!muxer) {
        snprintf(error, error_length, "out of memory");
        return NULL;
    }
    int result = avformat_alloc_output_context2(&muxer->context, NULL, format, path);
    if (result < 0 || !muxer->context) {
        sfu_muxer_error_text(result, error, error_length);
        free(muxer);
        return NULL;
    }
    muxer->context->flush_packets = 1;
    // Tracks are interleaved by time here, holding at most a second of one while the
    // other is late.
    muxer->context->max_interleave_delta = 1000000;
    if (cluster_ms > 0 && muxer->context->priv_data) {
        av_opt_set_int(muxer->context->priv_data, "cluster_time_limit", cluster_ms, AV_OPT_SEARCH_CHILDREN);
    }
    result = avio_open(&muxer->context->pb, path, AVIO_FLAG_WRITE);
    if (result < 0) {
        sfu_muxer_error_text(result, error, error_length);
        avformat_free_context(muxer->context);
        free(muxer);
        return NULL;
    }
    return muxer;
}

static int add_stream(sfu_muxer *muxer, enum AVMediaType type, int codec, const uint8_t *extradata,
                      int extradata_length, AVStream **made) {
    if (muxer->started || codec_id(codec) == AV_CODEC_ID_NONE) return AVERROR(EINVAL);
    AVStream *stream = avformat_new_stream(muxer->context, NULL);
    if (!stream) return AVERROR(ENOMEM);
    stream->time_base = (AVRational){1, 1000};
    stream->codecpar->codec_type = type;
    stream->codecpar->codec_id = codec_id(codec);
    if (extradata && extradata_length > 0) {
        stream->codecpar->extradata = av_mallocz(extradata_length + AV_INPUT_BUFFER_PADDING_SIZE);
        if (!stream->codecpar->extradata) return AVERROR(ENOMEM);
        memcpy(stream->codecpar->extradata, extradata, extradata_length);
        stream->codecpar->extradata_size = extradata_length;
    }
    *made = stream;
    return stream->index;
}

int sfu_muxer_add_video(sfu_muxer *muxer, int codec, int width, int height, const uint8_t *extradata,
                        int extradata_length) {
    AVStream *stream = NULL;
    int index = add_stream(muxer, AVMEDIA_TYPE_VIDEO, codec, extradata, extradata_length, &stream);
    if (index < 0) return index;
    stream->codecpar->width = width;
    stream->codecpar->height = height;
    return index;
}

int sfu_muxer_add_audio(sfu_muxer *muxer, int codec, int sample_rate, int channels, const uint8_t *extradata,
                        int extradata_length) {
    AVStream *stream = NULL;
    int index = add_stream(muxer, AVMEDIA_TYPE_AUDIO, codec, extradata, extradata_length, &stream);
    if (index < 0) return index;
    stream->codecpar->sample_rate = sample_rate;
    av_channel_layout_default(&stream->codecpar->ch_layout, channels);
    return index;
}

int sfu_muxer_start(sfu_muxer *muxer) {
    if (muxer->started) return AVERROR(EINVAL);
    int result = avformat_write_header(muxer->context, NULL);
    if (result < 0) return result;
    muxer->started = 1;
    avio_flush(muxer->context->pb);
    return sfu_muxer_io_error(muxer);
}

int sfu_muxer_io_error(const sfu_muxer *muxer) {
    const AVIOContext *io = muxer->context->pb;
    return io && io->error < 0 ? io->error : 0;
}

int sfu_muxer_write(sfu_muxer *muxer, int stream, const uint8_t *data, int length, int64_t pts_ms,
                    int64_t duration_ms, int is_key) {
    if (!muxer->started || stream < 0 || stream >= (int)muxer->context->nb_streams || length <= 0) {
        return AVERROR(EINVAL);
    }
    AVPacket *packet = av_packet_alloc();
    if (!packet) return AVERROR(ENOMEM);
    int result = av_new_packet(packet, length);
    if (result < 0) {
        av_packet_free(&packet);
        return result;
    }
    memcpy(packet->data, data, length);
    AVRational milliseconds = {1, 1000};
    AVRational base = muxer->context->streams[stream]->time_base;
    packet->stream_index = stream;
    packet->pts = packet->dts = av_rescale_q(pts_ms, milliseconds, base);
    packet->duration = duration_ms > 0 ? av_rescale_q(duration_ms, milliseconds, base) : 0;
    if (is_key) packet->flags |= AV_PKT_FLAG_KEY;
    result = av_interleaved_write_frame(muxer->context, packet);
    av_packet_free(&packet);
    if (result < 0) return result;
    avio_flush(muxer->context->pb);
    return sfu_muxer_io_error(muxer);
}

int sfu_muxer_finish(sfu_muxer *muxer) {
    int result = 0;
    if (muxer->started) result = av_write_trailer(muxer->context);
    int closed = avio_closep(&muxer->context->pb);
    avformat_free_context(muxer->context);
    free(muxer);
    return result < 0 ? result : closed;
}
