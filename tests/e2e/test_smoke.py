from tests.conftest import GROUP, Cluster


async def test_round_progress_reaches_the_group(cluster: Cluster) -> None:
    await cluster.open_round()
    await cluster.submit("bac-giang", ["165", "22", "52", "100", "Tốt"])
    progress = cluster.emu.messages(GROUP)[-1]
    assert "Đã nộp: 1/7 đơn vị" in progress.text
