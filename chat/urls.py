from django.urls import path

from . import api

urlpatterns = [
    path("chat/rooms/", api.RoomListView.as_view(), name="chat-rooms"),
    path("chat/rooms/<str:room>/messages/", api.RoomMessagesView.as_view(), name="chat-room-messages"),
]
