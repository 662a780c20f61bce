"""The comparison chart as SVG, with no plotting library: for each ladder, server CPU per
forwarded packet and loss against subscriber peer connections, one line per server."""

import math

COLOURS = {"janus": "#d9480f", "swiftsfu": "#1971c2", "swiftsfu-native": "#2f9e44"}
WIDTH, HEIGHT = 460, 300
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 36, 46


def subscribers(shape):
    return shape["rooms"] * shape["publishers"] * shape["subscribers"]


def panel(title, series, y_label, x_label, offset_x, offset_y, y_format):
    """One plot; `series` maps a server to [(x, y)], x > 0."""
    points = [point for values in series.values() for point in values]
    out = [f'<g transform="translate({offset_x},{offset_y})">',
           f'<text x="{WIDTH / 2}" y="18" text-anchor="middle" font-weight="bold">{title}</text>']
    if not points:
        return out + ['<text x="40" y="80">no data</text></g>']
    x_low = math.log10(min(x for x, _ in points))
    x_high = max(math.log10(max(x for x, _ in points)), x_low + 1)
    y_high = max(max(y for _, y in points), 1e-9) * 1.1
    inner_w, inner_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def sx(x):
        return LEFT + (math.log10(x) - x_low) / (x_high - x_low) * inner_w

    def sy(y):
        return TOP + inner_h - y / y_high * inner_h

    out.append(f'<rect x="{LEFT}" y="{TOP}" width="{inner_w}" height="{inner_h}" fill="none" stroke="#888"/>')
    for tick in range(5):
        value = y_high * tick / 4
        out.append(f'<text x="{LEFT - 6}" y="{sy(value) + 4:.1f}" text-anchor="end" font-size="11">'
                   f'{y_format(value)}</text>')
        out.append(f'<line x1="{LEFT}" x2="{LEFT + inner_w}" y1="{sy(value):.1f}" y2="{sy(value):.1f}" '
                   'stroke="#eee"/>')
    for power in range(math.floor(x_low), math.ceil(x_high) + 1):
        for factor in (1, 2, 5):
            x = factor * 10 ** power
            if x_low - 1e-9 <= math.log10(x) <= x_high + 1e-9:
                out.append(f'<text x="{sx(x):.1f}" y="{TOP + inner_h + 16}" text-anchor="middle" '
                           f'font-size="11">{x}</text>')
    out.append(f'<text x="{LEFT + inner_w / 2}" y="{HEIGHT - 8}" text-anchor="middle" font-size="12">'
               f'{x_label}</text>')
    out.append(f'<text x="14" y="{TOP + inner_h / 2}" text-anchor="middle" font-size="12" '
               f'transform="rotate(-90 14 {TOP + inner_h / 2})">{y_label}</text>')
    for index, (server, values) in enumerate(series.items()):
        colour = COLOURS.get(server, "#333")
        if values:
            path = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in values)
            out.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
            out.extend(f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="3" fill="{colour}"/>' for x, y in values)
        out.append(f'<text x="{LEFT + inner_w - 8}" y="{TOP + 16 + 14 * index}" fill="{colour}" font-size="12" '
                   f'text-anchor="end">{server}</text>')
    out.append("</g>")
    return out


def write_chart(results, path):
    ladders = results["ladders"]
    body = []
    for row, ladder in enumerate(ladders):
        cpu, loss = {}, {}
        for server, steps in results["servers"].items():
            done = [step for step in steps if step["ladder"] == ladder and not step.get("failure")]
            cpu[server] = [(subscribers(step["shape"]), step["server_cpu_nanoseconds_per_packet"] / 1000)
                           for step in done if step.get("server_cpu_nanoseconds_per_packet")]
            loss[server] = [(subscribers(step["shape"]), step["loss"] * 100) for step in done]
        label = "subscriber peer connections"
        body += panel(f"{ladder}: server CPU per forwarded packet", cpu, "µs", label, 0, row * HEIGHT,
                      lambda v: f"{v:.1f}")
        body += panel(f"{ladder}: loss", loss, "%", label, WIDTH, row * HEIGHT, lambda v: f"{v:.2f}")
    with open(path, "w") as output:
        output.write(f'<svg xmlns="http://www.w3.org/2000/svg" width="{2 * WIDTH}" height="{HEIGHT * len(ladders)}" '
                     'font-family="sans-serif" font-size="13">\n<rect width="100%" height="100%" fill="white"/>\n')
        output.write("\n".join(body))
        output.write("\n</svg>\n")
