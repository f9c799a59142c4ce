"""A subscriber: its connection's status (`diagnosis`) and the words it says (`words`), the receive
loop (`receiving`), the newest item of a stream (`latest`).
"""
